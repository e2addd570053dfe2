import { afterAll, beforeAll, expect, it } from 'vitest';
import { replayDelivery, replayMatching } from '../lib/operations/deliveries';
import { createPublisher } from '../lib/publish';
import type { Subscription } from '../lib/subscriptions/define';
import { testChannels } from './fixtures/channels';
import { createTestDatabase, type TestDatabase, waitFor } from './helpers/db';
import { inProcessWorker } from './helpers/in-process-worker';

const { publishMany } = createPublisher(testChannels);
let t: TestDatabase;
let recorder: Subscription;

beforeAll(async () => {
  t = await createTestDatabase();
  // The fixture handler records each run in test_runs through a pool on DATABASE_URL; one
  // attempt per budget, so a first failure is dead at once and a replay then succeeds.
  process.env.DATABASE_URL = t.url;
  process.env.TEST_MAX_ATTEMPTS = '1';
  const { subscriptions } = await import('./fixtures/subscriptions');
  recorder = subscriptions.find((s) => s.name === 'recorder')!;
});
afterAll(() => t?.drop());

const runsOf = async (id: number) =>
  (await t.query<{ n: number }>('SELECT count(*)::int AS n FROM test_runs WHERE delivery_id = $1', [id]))[0]!
    .n;
const stateOf = async (id: number) =>
  (await t.query<{ state: string }>('SELECT state FROM herald.deliveries WHERE id = $1', [id]))[0]!.state;

/** Deliveries whose first attempt fails (dead: one attempt allowed) and whose replay succeeds. */
async function deadDeliveries(n: number, offset: number): Promise<number[]> {
  const events = await publishMany(
    t.db,
    Array.from({ length: n }, (_, i) => ({
      channel: 'test.event' as const,
      payload: { n: offset + i, mode: 'fail-times' as const, times: 1 },
    })),
  );
  const rows = await t.query<{ id: number }>(
    `SELECT id FROM herald.deliveries WHERE subscription = 'recorder' AND event_id = ANY($1::bigint[]) ORDER BY id`,
    [events.map((e) => e.id)],
  );
  const ids = rows.map((r) => r.id);
  for (const id of ids) await waitFor(`delivery ${id} dead`, async () => (await stateOf(id)) === 'dead');
  return ids;
}

async function expectRanTwiceAndSucceeded(ids: number[]) {
  for (const id of ids)
    await waitFor(`delivery ${id} replayed`, async () => (await stateOf(id)) === 'succeeded');
  // Give a duplicate run every chance to show up before counting.
  await new Promise((r) => setTimeout(r, 500));
  for (const id of ids) expect(await runsOf(id)).toBe(2);
}

it('two operators replaying the same delivery at once: it runs once', async () => {
  const worker = inProcessWorker(t, [recorder]);
  await worker.start();
  try {
    const ids = await deadDeliveries(20, 0);
    for (const id of ids) {
      // Two connections, same instant: the state fence lets exactly one through.
      const results = await Promise.all([
        replayDelivery(t.db, id, { actor: 'user:a@example.com', reason: 'outage over' }),
        replayDelivery(t.db, id, { actor: 'user:b@example.com', reason: 'outage over' }),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
    }
    await expectRanTwiceAndSucceeded(ids);
    const [audit] = await t.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM herald.audit_log WHERE action = 'delivery.replay'`,
    );
    expect(audit!.n).toBe(ids.length);
  } finally {
    await worker.stop();
  }
});

it('a bulk replay racing single replays of the same rows: each runs once more, the summary adds up', async () => {
  const worker = inProcessWorker(t, [recorder]);
  await worker.start();
  try {
    const ids = await deadDeliveries(30, 100);
    const [bulk, single] = await Promise.all([
      replayMatching(t.db, { ids, until: new Date() }, { actor: 'user:ops@example.com' }, { batchSize: 4 }),
      Promise.all(ids.map((id) => replayDelivery(t.db, id, { actor: 'user:support@example.com' }))),
    ]);
    expect(bulk.done + single.filter(Boolean).length).toBe(ids.length);
    expect(bulk.done + bulk.skipped).toBe(bulk.matched);
    await expectRanTwiceAndSucceeded(ids);
    const [audit] = await t.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM herald.audit_log WHERE action = 'delivery.bulk_replay'`,
    );
    expect(audit!.n).toBe(1);
  } finally {
    await worker.stop();
  }
});
