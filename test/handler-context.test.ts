import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher } from '../lib/publish';
import { type HandlerContext, subscriptionsFor } from '../lib/subscriptions/define';
import type { Worker } from '../worker/worker';
import { testChannels } from './fixtures/channels';
import { createTestDatabase, type TestDatabase, waitFor } from './helpers/db';
import { inProcessWorker } from './helpers/in-process-worker';

const subscribe = subscriptionsFor(testChannels);
const { publish } = createPublisher(testChannels);

interface Seen {
  context: HandlerContext;
  publishedAt: Date;
  json: Record<string, unknown>;
  signalAborted: boolean;
}
const seen: Seen[] = [];

const recorder = subscribe({
  name: 'context-recorder',
  channel: 'test.other',
  handler: async (_payload, ctx) => {
    seen.push({
      context: ctx,
      publishedAt: ctx.publishedAt,
      json: JSON.parse(JSON.stringify(ctx)),
      signalAborted: ctx.signal.aborted,
    });
  },
});

let t: TestDatabase;
let worker: Worker;
beforeAll(async () => {
  t = await createTestDatabase();
  worker = inProcessWorker(t, [recorder]);
  await worker.start();
});
afterAll(async () => {
  await worker?.stop();
  await t?.drop();
});

describe("a handler's context", () => {
  it('describes its delivery: ids, key, attempt, and the time the event was published', async () => {
    const event = await publish(t.db, 'test.other', { n: 7 }, { key: 'order:7' });
    const got = await waitFor('the handler ran', async () => seen[0]);
    const [row] = await t.query<{ id: number; created_ms: string }>(
      `SELECT d.id, floor(extract(epoch FROM e.created_at) * 1000)::bigint::text AS created_ms
       FROM herald.deliveries d JOIN herald.events e ON e.id = d.event_id WHERE e.id = $1`,
      [event.id],
    );
    expect(got.context).toMatchObject({
      deliveryId: Number(row!.id),
      eventId: Number(event.id),
      subscription: 'context-recorder',
      channel: 'test.other',
      key: 'order:7',
      attempt: 1,
      manual: false,
    });
    expect(got.publishedAt.getTime()).toBe(Number(row!.created_ms));
    expect(got.signalAborted).toBe(false);
    // Logged as JSON it shows the publication time too.
    expect(got.json).toMatchObject({ deliveryId: Number(row!.id), key: 'order:7' });
    expect(new Date(got.json.publishedAt as string).getTime()).toBe(Number(row!.created_ms));
  });
});
