import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pauseSubscription, resumeSubscription } from '../lib/operations/subscriptions';
import { createPublisher } from '../lib/publish';
import { subscriptionsFor } from '../lib/subscriptions/define';
import { testChannels } from './fixtures/channels';
import { createTestDatabase, type TestDatabase, waitFor } from './helpers/db';
import { inProcessWorker } from './helpers/in-process-worker';

const subscribe = subscriptionsFor(testChannels);
const { publishMany, publish } = createPublisher(testChannels);
let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t?.drop());

const states = async () =>
  Object.fromEntries(
    (
      await t.query<{ state: string; n: number }>(
        'SELECT state, count(*)::int AS n FROM herald.deliveries GROUP BY 1',
      )
    ).map((r) => [r.state, r.n]),
  );

describe('graceful shutdown', () => {
  it('stops claiming, lets running handlers finish, hands back what never started', async () => {
    const started: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = subscribe({
      name: 'slow',
      channel: 'test.event',
      concurrency: 2,
      handler: async (p) => {
        started.push(p.n);
        await gate;
      },
    });
    const worker = inProcessWorker(t, [slow], { prefetch: 3, shutdownTimeoutMs: 10_000 });
    await worker.start();
    await publishMany(
      t.db,
      Array.from({ length: 10 }, (_, n) => ({ channel: 'test.event' as const, payload: { n } })),
    );
    await waitFor('two handlers running', async () => started.length === 2);
    const stopping = worker.stop();
    await waitFor('the prefetched deliveries to be handed back', async () => (await states()).running === 2);
    release();
    await stopping;
    expect(await states()).toEqual({ succeeded: 2, pending: 8 });
    // Handed-back deliveries were never attempted: no attempt counted or recorded.
    const [row] = await t.query<{ attempts: number; history: number }>(
      `SELECT sum(attempts)::int AS attempts, (SELECT count(*)::int FROM herald.attempts) AS history
       FROM herald.deliveries WHERE state = 'pending'`,
    );
    expect(row).toEqual({ attempts: 0, history: 2 });
    expect(await t.query('SELECT * FROM herald.workers')).toEqual([]);
  });

  it('records handlers still running at the deadline as failed attempts to run again at once', async () => {
    await t.query('TRUNCATE herald.events CASCADE');
    let started = false;
    const stuck = subscribe({
      name: 'stuck',
      channel: 'test.other',
      handler: () => {
        started = true;
        return new Promise(() => {});
      },
    });
    const worker = inProcessWorker(t, [stuck], { shutdownTimeoutMs: 300 });
    await worker.start();
    const event = await publish(t.db, 'test.other', { n: 1 });
    // The handler itself, not the claim: a claimed delivery that never started is handed back.
    await waitFor('the handler to start', async () => started);
    await worker.stop();
    const [d] = await t.query(
      `SELECT d.state, a.outcome, a.error_code FROM herald.deliveries d JOIN herald.attempts a ON a.delivery_id = d.id
       WHERE d.event_id = $1 AND d.subscription = 'stuck'`,
      [event.id],
    );
    expect(d).toEqual({ state: 'pending', outcome: 'failed', error_code: 'shutdown' });
  });
});

describe('handler timeout', () => {
  it("fails the attempt and aborts the handler's signal", async () => {
    await t.query('TRUNCATE herald.events CASCADE');
    let aborted = false;
    const hanging = subscribe({
      name: 'hanging',
      channel: 'test.other',
      timeoutMs: 200,
      retry: { maxAttempts: 1 },
      handler: (_p, context) =>
        new Promise((_, reject) => {
          context.signal.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('gave up on abort'));
          });
        }),
    });
    const worker = inProcessWorker(t, [hanging]);
    await worker.start();
    try {
      const event = await publish(t.db, 'test.other', { n: 1 });
      await waitFor('the attempt to be recorded', async () => (await states()).dead === 1);
      const [attempt] = await t.query(
        `SELECT a.outcome, a.error_code FROM herald.attempts a JOIN herald.deliveries d ON d.id = a.delivery_id
         WHERE d.event_id = $1`,
        [event.id],
      );
      expect(attempt).toEqual({ outcome: 'dead', error_code: 'timeout' });
      expect(aborted).toBe(true);
    } finally {
      await worker.stop();
    }
  });
});

describe('pause and resume', () => {
  it('holds deliveries while paused and delivers them after resume, with audit entries', async () => {
    await t.query('TRUNCATE herald.events CASCADE');
    const seen: number[] = [];
    const sub = subscribe({
      name: 'pausable',
      channel: 'test.other',
      handler: async (p) => void seen.push(p.n),
    });
    const worker = inProcessWorker(t, [sub]);
    await worker.start();
    try {
      expect(
        await pauseSubscription(t.db, 'pausable', {
          actor: 'user:ops@example.com',
          reason: 'provider outage',
        }),
      ).toBe(true);
      expect(await pauseSubscription(t.db, 'pausable', { actor: 'user:ops@example.com' })).toBe(false);
      await publish(t.db, 'test.other', { n: 1 });
      // The event fans out while paused; the delivery waits.
      await waitFor('the paused delivery', async () => {
        const rows = await t.query(`SELECT state FROM herald.deliveries WHERE subscription = 'pausable'`);
        return rows.length === 1 && rows[0]!.state === 'pending';
      });
      const [paused] = await t.query(
        `SELECT paused, paused_reason, paused_by FROM herald.subscriptions WHERE name = 'pausable'`,
      );
      expect(paused).toEqual({
        paused: true,
        paused_reason: 'provider outage',
        paused_by: 'user:ops@example.com',
      });
      expect(seen).toEqual([]);
      expect(await resumeSubscription(t.db, 'pausable', { actor: 'user:ops@example.com' })).toBe(true);
      await waitFor('delivery after resume', async () => seen.length === 1);
      const audit = await t.query<{ action: string }>(
        `SELECT action FROM herald.audit_log WHERE target = 'subscription:pausable' ORDER BY id`,
      );
      expect(audit.map((a) => a.action)).toEqual(['subscription.pause', 'subscription.resume']);
    } finally {
      await worker.stop();
    }
  });
});

describe('scheduled retries', () => {
  it('run on time even when the poll is an hour away', async () => {
    await t.query('TRUNCATE herald.events CASCADE');
    let tries = 0;
    const sub = subscribe({
      name: 'retry-on-time',
      channel: 'test.event',
      retry: { maxAttempts: 3, baseDelayMs: 300, maxDelayMs: 1_000 },
      handler: async () => {
        tries++;
        if (tries === 1) throw new Error('first try fails');
      },
    });
    const worker = inProcessWorker(t, [sub], { pollIntervalMs: 3_600_000 });
    await worker.start();
    try {
      // Wait until the worker is idle and listening, so the publish's NOTIFY wakes it.
      await waitFor('the worker to wait for notifications', async () => {
        const [w] = await t.query(`SELECT count(*)::int AS n FROM herald.workers WHERE waiting`);
        return w!.n === 1;
      });
      await publish(t.db, 'test.event', { n: 1 });
      await waitFor('the retry', async () => tries === 2, 10_000);
    } finally {
      await worker.stop();
    }
  });
});
