import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher } from '../lib/publish';
import { subscriptionsFor } from '../lib/subscriptions/define';
import type { Worker } from '../worker/worker';
import { testChannels } from './fixtures/channels';
import { createTestDatabase, type TestDatabase, waitFor } from './helpers/db';
import { inProcessWorker } from './helpers/in-process-worker';

/**
 * An outcome the database refuses for what it holds, for a reason the worker does not know in
 * advance. Triggers in the test database stand in for such a reason: they refuse a success
 * whose result says "poison" and a failure whose error begins "poison from" (SQLSTATE 22023, a data
 * exception). The batch holding them must still be recorded, and those two without the refused
 * part; nothing behind them may wait.
 */
const subscribe = subscriptionsFor(testChannels);
const { publishMany } = createPublisher(testChannels);

let release: () => void = () => {};
const gate = new Promise<void>((resolve) => {
  release = resolve;
});
let started = 0;

const gated = subscribe({
  name: 'gated',
  channel: 'test.event',
  concurrency: 10,
  retry: { maxAttempts: 1 },
  handler: async (payload) => {
    started++;
    await gate; // all ten finish in the same tick: one batch of outcomes
    if (payload.n === 3) return { messageId: 'poison' };
    if (payload.n === 7) throw new Error('poison from the provider');
    return { messageId: `ok-${payload.n}` };
  },
});

/** Its successes are refused whatever they hold, for the deliveries listed in public.refuse_ids. */
const unrecordable = subscribe({
  name: 'unrecordable',
  channel: 'test.other',
  leaseMs: 1_000,
  retry: { maxAttempts: 1 },
  handler: async (payload) => ({ messageId: `other-${payload.n}` }),
});

let t: TestDatabase;
let worker: Worker;
beforeAll(async () => {
  t = await createTestDatabase();
  await t.query('CREATE TABLE public.refuse_ids (id bigint PRIMARY KEY)');
  // Two functions: a trigger function cannot name a column its other table lacks.
  await t.query(`
    CREATE FUNCTION public.refuse_poisoned_success() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.success_result->>'messageId' = 'poison'
         OR NEW.state = 'succeeded' AND EXISTS (SELECT 1 FROM public.refuse_ids r WHERE r.id = NEW.id) THEN
        RAISE EXCEPTION 'poison refused by the test' USING ERRCODE = '22023';
      END IF;
      RETURN NEW;
    END $$`);
  await t.query(`
    CREATE FUNCTION public.refuse_poisoned_failure() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.error LIKE 'poison from%' THEN
        RAISE EXCEPTION 'poison refused by the test' USING ERRCODE = '22023';
      END IF;
      RETURN NEW;
    END $$`);
  await t.query(
    'CREATE TRIGGER refuse_poison BEFORE UPDATE ON herald.deliveries FOR EACH ROW EXECUTE FUNCTION public.refuse_poisoned_success()',
  );
  await t.query(
    'CREATE TRIGGER refuse_poison BEFORE INSERT ON herald.attempt_log FOR EACH ROW EXECUTE FUNCTION public.refuse_poisoned_failure()',
  );
  worker = inProcessWorker(t, [gated, unrecordable]);
  await worker.start();
});
afterAll(async () => {
  release();
  await worker?.stop();
  await t?.drop();
});

describe('a batch of outcomes the database refuses for one of them', () => {
  it('is split until that one is alone, which is recorded without what was refused', async () => {
    await publishMany(
      t.db,
      Array.from({ length: 10 }, (_, i) => ({ channel: 'test.event' as const, payload: { n: i + 1 } })),
    );
    await waitFor('all ten handlers to start', async () => started === 10);
    release();
    const rows = await waitFor('every delivery to settle', async () => {
      const found = await t.query<{ n: number; state: string; error: string | null; result: unknown }>(
        `SELECT (e.payload->>'n')::int AS n, d.state, a.error, a.result
         FROM herald.deliveries d JOIN herald.events e ON e.id = d.event_id
         JOIN herald.attempts a ON a.delivery_id = d.id
         ORDER BY n`,
      );
      return found.length === 10 ? found : undefined;
    });
    expect(rows.map((r) => r.state)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
      'succeeded',
      'succeeded',
      'succeeded',
      'dead',
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    expect(rows[0]!.result).toEqual({ messageId: 'ok-1' });
    expect(rows[2]!.result).toEqual({
      unstorable: "the database refused the handler's result: poison refused by the test",
    });
    expect(rows[6]!.error).toBe("the handler's error could not be stored: poison refused by the test");
    expect(rows[9]!.result).toEqual({ messageId: 'ok-10' });
  });

  it('leaves an outcome refused even when degraded to its lease: the rescuer records it, nothing else waits', async () => {
    const { publish } = createPublisher(testChannels);
    // Refuse the delivery before it exists: deliveries are numbered by a sequence.
    const [{ next }] = (await t.query<{ next: number }>(
      "SELECT nextval('herald.deliveries_id_seq') + 1 AS next",
    )) as [{ next: number }];
    await t.query('INSERT INTO public.refuse_ids VALUES ($1)', [next]);
    await publish(t.db, 'test.other', { n: 1 });
    await publish(t.db, 'test.other', { n: 2 });
    const rows = await waitFor('both deliveries to settle', async () => {
      const found = await t.query<{ id: number; state: string; error_code: string | null }>(
        `SELECT d.id, d.state, a.error_code FROM herald.deliveries d
         JOIN herald.attempts a ON a.delivery_id = d.id
         WHERE d.subscription = 'unrecordable' ORDER BY d.id`,
      );
      return found.length === 2 && found.every((r) => r.state !== 'running') ? found : undefined;
    });
    expect(rows.map((r) => [Number(r.id), r.state, r.error_code])).toEqual([
      [Number(next), 'dead', 'lease_expired'],
      [Number(next) + 1, 'succeeded', null],
    ]);
  });
});
