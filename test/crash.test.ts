import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher } from '../lib/publish';
import { testChannels } from './fixtures/channels';
import { createTestDatabase, type TestDatabase, waitFor } from './helpers/db';
import { startWorkerProcess, type WorkerProcess } from './helpers/worker-process';

/**
 * Real worker processes, really killed and frozen: a crashed worker's deliveries are rescued
 * within the lease and finished by another, and a frozen worker that wakes up late cannot
 * overwrite the outcome recorded by the worker that took over.
 */
const { publishMany, publish } = createPublisher(testChannels);
const LEASE_MS = 2_000;
const env = { HERALD_LEASE_MS: String(LEASE_MS), HERALD_POLL_INTERVAL_MS: '100' };

let t: TestDatabase;
const started: WorkerProcess[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
});
afterEach(async () => {
  for (const w of started.splice(0)) {
    w.child.kill('SIGCONT');
    w.child.kill('SIGKILL');
    await w.exited;
  }
  await t.query('DELETE FROM herald.workers');
});
afterAll(() => t?.drop());

async function worker(): Promise<WorkerProcess> {
  const w = await startWorkerProcess(t.url, env);
  started.push(w);
  return w;
}

const runsOf = (deliveryId: number) =>
  t.query<{ attempt: number; pid: number }>(
    'SELECT attempt, pid FROM test_runs WHERE delivery_id = $1 ORDER BY at',
    [deliveryId],
  );

async function recorderDelivery(eventId: number) {
  const [d] = await t.query<{ id: number; state: string }>(
    `SELECT id, state FROM herald.deliveries WHERE event_id = $1 AND subscription = 'recorder'`,
    [eventId],
  );
  return d!;
}

describe('a worker killed with SIGKILL mid-handler', () => {
  it('has its deliveries rescued and completed by another worker within the lease; nothing lost', async () => {
    const a = await worker();
    // Five slow deliveries that A will be in the middle of, and 45 quick ones around them.
    const events = await publishMany(
      t.db,
      Array.from({ length: 50 }, (_, n) => ({
        channel: 'test.event' as const,
        payload: n % 10 === 0 ? { n, mode: 'sleep' as const, ms: 60_000, times: 1 } : { n },
      })),
    );
    const slow = events.filter((_, n) => n % 10 === 0);
    const slowDeliveries = await Promise.all(slow.map((e) => recorderDelivery(e.id)));
    await waitFor('A to start every slow handler', async () => {
      const [row] = await t.query<{ n: number }>(
        'SELECT count(DISTINCT delivery_id)::int AS n FROM test_runs WHERE delivery_id = ANY($1) AND pid = $2',
        [slowDeliveries.map((d) => d.id), a.pid],
      );
      return row!.n === slow.length;
    });
    a.child.kill('SIGKILL');
    const killedAt = Date.now();
    const b = await worker();

    await waitFor('every delivery to succeed', async () => {
      const [row] = await t.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM herald.deliveries WHERE state <> 'succeeded'`,
      );
      return row!.n === 0;
    });
    // Rescue within the lease plus the rescuer's 2 s period and B's start-up.
    expect(Date.now() - killedAt).toBeLessThan(LEASE_MS + 2_000 + 10_000);
    for (const d of slowDeliveries) {
      const runs = await runsOf(d.id);
      expect(runs).toEqual([
        { attempt: 1, pid: a.pid },
        { attempt: 2, pid: b.pid },
      ]);
      const attempts = await t.query<{ attempt: number; outcome: string; error_code: string | null }>(
        'SELECT attempt, outcome, error_code FROM herald.attempts WHERE delivery_id = $1 ORDER BY attempt',
        [d.id],
      );
      expect(attempts).toEqual([
        { attempt: 1, outcome: 'lost', error_code: 'lease_expired' },
        { attempt: 2, outcome: 'succeeded', error_code: null },
      ]);
    }
    // A quick delivery may run twice only if it was in flight when A died — claimed by A and
    // its outcome not yet recorded — so its first attempt must be on record as lost.
    const [unexplained] = await t.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (
         SELECT r.delivery_id FROM test_runs r GROUP BY r.delivery_id HAVING count(*) > 1) dup
       WHERE NOT EXISTS (SELECT 1 FROM herald.attempts a
                         WHERE a.delivery_id = dup.delivery_id AND a.outcome = 'lost')`,
    );
    expect(unexplained!.n).toBe(0);
  });
});

describe('a worker frozen (SIGSTOP) past its lease and then resumed', () => {
  it('cannot overwrite the outcome recorded by the worker that took over', async () => {
    const a = await worker();
    const event = await publish(t.db, 'test.event', { n: 1000, mode: 'sleep', ms: 3_000, times: 1 });
    const d = await recorderDelivery(event.id);
    await waitFor('A to start the handler', async () => (await runsOf(d.id)).length === 1);
    a.child.kill('SIGSTOP');
    const b = await worker();
    await waitFor(
      'B to finish the delivery',
      async () => (await recorderDelivery(event.id)).state === 'succeeded',
    );
    const before = await t.query('SELECT * FROM herald.attempts WHERE delivery_id = $1 ORDER BY id', [d.id]);

    a.child.kill('SIGCONT');
    // A's handler finishes and A tries to record its attempt: the fence must refuse it.
    await waitFor('A to try to complete', async () => a.output().includes('completion refused'), 20_000);
    const after = await t.query('SELECT * FROM herald.attempts WHERE delivery_id = $1 ORDER BY id', [d.id]);
    expect(after).toEqual(before);
    expect(after.map((r) => [r.attempt, r.outcome, r.worker])).toEqual([
      [1, 'lost', a.id],
      [2, 'succeeded', b.id],
    ]);
    expect((await recorderDelivery(event.id)).state).toBe('succeeded');
  });
});
