import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher } from '../lib/publish';
import { subscriptionsFor } from '../lib/subscriptions/define';
import { ProviderUnavailableError } from '../lib/subscriptions/errors';
import type { Worker } from '../worker/worker';
import { batchRecorder } from './fixtures/batch-subscriptions';
import { testChannels } from './fixtures/channels';
import { createTestDatabase, type TestDatabase, waitFor } from './helpers/db';
import { inProcessWorker } from './helpers/in-process-worker';
import { startWorkerProcess, type WorkerProcess } from './helpers/worker-process';

/**
 * Batch handlers (issue #22): one call for many deliveries, each keeping its own lease, fencing,
 * attempt and outcome. The lease test freezes a real worker process mid-call (SIGSTOP) so that
 * another one rescues and finishes its deliveries, then lets the first one answer late.
 */
const { publishMany } = createPublisher(testChannels);

let t: TestDatabase;
let worker: Worker | undefined;
const processes: WorkerProcess[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
});
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
  for (const w of processes.splice(0)) {
    w.child.kill('SIGCONT');
    w.child.kill('SIGKILL');
    await w.exited;
  }
  await t.query('DELETE FROM herald.workers');
});
afterAll(() => t?.drop());

type Mode = 'ok' | 'permanent' | 'fail-times' | 'sleep';
async function publishBatch(from: number, modes: Mode[], extra: { times?: number; ms?: number } = {}) {
  const events = await publishMany(
    t.db,
    modes.map((mode, i) => ({ channel: 'test.event' as const, payload: { n: from + i, mode, ...extra } })),
  );
  return events.map((e) => e.id);
}

interface DeliveryRow {
  id: number;
  event_id: number;
  state: string;
  attempts: number;
}
async function deliveriesOf(eventIds: number[]) {
  return t.query<DeliveryRow>(
    `SELECT id, event_id, state, attempts FROM herald.deliveries
     WHERE event_id = ANY($1) AND subscription = 'batch-recorder' ORDER BY event_id`,
    [eventIds],
  );
}
async function finished(eventIds: number[]) {
  const rows = await deliveriesOf(eventIds);
  return rows.length === eventIds.length && rows.every((r) => r.state === 'succeeded' || r.state === 'dead')
    ? rows
    : undefined;
}
const attemptsOf = (deliveryIds: number[]) =>
  t.query<{
    delivery_id: number;
    attempt: number;
    outcome: string;
    error_code: string | null;
    worker: string;
  }>(
    `SELECT delivery_id, attempt, outcome, error_code, worker FROM herald.attempts
     WHERE delivery_id = ANY($1) ORDER BY delivery_id, attempt`,
    [deliveryIds],
  );

describe('a batch handler in a worker', () => {
  it('sends a batch in one call, and a delivery refused in it fails alone', async () => {
    const calls: number[][] = [];
    worker = inProcessWorker(t, [batchRecorder(() => t.pool, { onCall: (ids) => calls.push(ids) })]);
    const modes: Mode[] = Array.from({ length: 20 }, (_, i) => (i === 7 ? 'permanent' : 'ok'));
    await worker.start(); // syncs the subscription: events published from now on fan out to it
    const events = await publishBatch(100, modes);
    const rows = await waitFor('20 finished deliveries', () => finished(events));

    expect(calls).toHaveLength(1);
    expect(calls[0]).toHaveLength(20);
    const refused = rows[7]!;
    expect(refused).toMatchObject({ state: 'dead', attempts: 1 });
    expect(rows.filter((r) => r !== refused).every((r) => r.state === 'succeeded' && r.attempts === 1)).toBe(
      true,
    );
    const attempts = await attemptsOf(rows.map((r) => r.id));
    expect(attempts).toHaveLength(20);
    expect(attempts.find((a) => a.delivery_id === refused.id)).toMatchObject({
      attempt: 1,
      outcome: 'dead',
      error_code: 'rejected',
    });
    const [{ error }] = (await t.query(`SELECT error FROM herald.attempts WHERE delivery_id = $1`, [
      refused.id,
    ])) as [{ error: string }];
    expect(error).toBe('recipient 107 refused');
  });

  it('retries every delivery of a call that failed as a whole, counting attempts per delivery', async () => {
    worker = inProcessWorker(t, [batchRecorder(() => t.pool)]);
    await worker.start();
    const events = await publishBatch(200, Array(10).fill('fail-times'), { times: 1 });
    const rows = await waitFor('10 succeeded deliveries', () => finished(events));

    expect(rows.every((r) => r.state === 'succeeded' && r.attempts === 2)).toBe(true);
    const attempts = await attemptsOf(rows.map((r) => r.id));
    expect(attempts.map((a) => [a.attempt, a.outcome])).toEqual(
      rows.flatMap(() => [
        [1, 'failed'],
        [2, 'succeeded'],
      ]),
    );
    const runs = await t.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM test_runs WHERE delivery_id = ANY($1)',
      [rows.map((r) => r.id)],
    );
    expect(runs[0]?.n).toBe(20); // each delivery ran exactly twice
  });

  it('fails every delivery of a call that outlives the timeout, and retries each', async () => {
    worker = inProcessWorker(t, [batchRecorder(() => t.pool, { timeoutMs: 300 })]);
    await worker.start();
    const events = await publishBatch(300, Array(5).fill('sleep'), { times: 1, ms: 5_000 });
    const rows = await waitFor('5 succeeded deliveries', () => finished(events));

    expect(rows.every((r) => r.state === 'succeeded' && r.attempts === 2)).toBe(true);
    const attempts = await attemptsOf(rows.map((r) => r.id));
    expect(attempts.filter((a) => a.attempt === 1).map((a) => [a.outcome, a.error_code])).toEqual(
      Array(5).fill(['failed', 'timeout']),
    );
  });
});

describe('a batch call the provider refuses as a whole (it is down)', () => {
  it('counts each delivery toward the circuit breaker, which holds them all without spending attempts', async () => {
    let down = true;
    const calls: number[] = [];
    const provider = subscriptionsFor(testChannels)({
      name: 'batch-provider',
      channel: 'test.other',
      retry: { maxAttempts: 3, baseDelayMs: 60_000, maxDelayMs: 60_000 },
      circuit: { failures: 5, windowMs: 60_000, probeMs: 300, probeMaxMs: 1_000, releasePerSecond: 1_000 },
      batch: {
        size: 50,
        handler: async (items) => {
          calls.push(items.length);
          if (down)
            throw new ProviderUnavailableError('Postmark is down for maintenance', { code: 'postmark_100' });
          return items.map(() => ({ result: 'sent' }));
        },
      },
    });
    worker = inProcessWorker(t, [provider]);
    await worker.start();
    const events = await publishMany(
      t.db,
      Array.from({ length: 20 }, (_, n) => ({ channel: 'test.other' as const, payload: { n } })),
    );
    const ids = events.map((e) => e.id);
    const held = await waitFor('the circuit to open', async () => {
      const [c] = await t.query<{ state: string; failures: number }>(
        `SELECT state, failures FROM herald.circuits WHERE subscription = 'batch-provider'`,
      );
      return c?.state === 'open' ? c : undefined;
    });
    expect(held.failures).toBeGreaterThanOrEqual(20); // one failed call, twenty deliveries counted
    down = false;
    const rows = await waitFor('every delivery sent after the outage', async () => {
      const r = await t.query<{ state: string; attempts: number; spent: number }>(
        `SELECT state, attempts, attempts - attempts_before_replay AS spent FROM herald.deliveries
         WHERE event_id = ANY($1) AND subscription = 'batch-provider'`,
        [ids],
      );
      return r.length === 20 && r.every((d) => d.state === 'succeeded') ? r : undefined;
    });
    // Held, not failed: the outage spent none of their retry budget, only the sending attempt counts.
    expect(rows.every((d) => d.spent === 1)).toBe(true);
    const failed = await t.query<{ next_run_at: Date | null }>(
      `SELECT a.next_run_at FROM herald.attempts a JOIN herald.deliveries d ON d.id = a.delivery_id
       WHERE d.event_id = ANY($1) AND d.subscription = 'batch-provider' AND a.outcome = 'failed'`,
      [ids],
    );
    expect(failed.length).toBeGreaterThanOrEqual(20);
    expect(failed.every((a) => a.next_run_at === null)).toBe(true);
    expect(calls[0]).toBe(20);
  });
});

describe('a batch whose worker is frozen past its lease mid-call', () => {
  it('is rescued and finished by another worker; the late outcomes are refused by the fence', async () => {
    const env = {
      HERALD_LEASE_MS: '2000',
      HERALD_POLL_INTERVAL_MS: '100',
      HERALD_SUBSCRIPTIONS: 'test/fixtures/batch-subscriptions.ts',
    };
    const a = await startWorkerProcess(t.url, env);
    processes.push(a);
    const events = await publishBatch(400, Array(6).fill('sleep'), { times: 1, ms: 3_000 });
    const ids = await waitFor('the deliveries', async () => {
      const rows = await deliveriesOf(events);
      return rows.length === 6 ? rows.map((r) => r.id) : undefined;
    });
    await waitFor('A to start the call', async () => {
      const [row] = await t.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM test_runs WHERE delivery_id = ANY($1)',
        [ids],
      );
      return row?.n === 6;
    });
    a.child.kill('SIGSTOP');
    const b = await startWorkerProcess(t.url, env);
    processes.push(b);
    await waitFor('B to finish every delivery', async () => {
      const rows = await finished(events);
      return rows?.every((r) => r.state === 'succeeded');
    });
    const before = await attemptsOf(ids);

    a.child.kill('SIGCONT');
    // A's call ends and A tries to record six outcomes: the fence must refuse every one.
    await waitFor('A to try to complete', async () => a.output().includes('completion refused'), 20_000);
    await waitFor(
      'A to give up on all six',
      async () => a.output().split('completion refused').length - 1 >= 6,
      10_000,
    );
    const after = await attemptsOf(ids);
    expect(after).toEqual(before);
    expect(after.map((r) => [r.attempt, r.outcome, r.worker])).toEqual(
      ids.flatMap(() => [
        [1, 'lost', a.id],
        [2, 'succeeded', b.id],
      ]),
    );
    expect((await deliveriesOf(events)).every((r) => r.state === 'succeeded' && r.attempts === 2)).toBe(true);
  });
});
