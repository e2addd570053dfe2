import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discardDelivery, replayDelivery, retryDeliveryNow } from '../lib/operations/deliveries';
import { createPublisher } from '../lib/publish';
import { subscriptionsFor } from '../lib/subscriptions/define';
import { PermanentError, RetryableError } from '../lib/subscriptions/errors';
import type { Worker } from '../worker/worker';
import { testChannels } from './fixtures/channels';
import { createTestDatabase, type TestDatabase, waitFor } from './helpers/db';
import { inProcessWorker } from './helpers/in-process-worker';

const subscribe = subscriptionsFor(testChannels);
const { publish } = createPublisher(testChannels);

const BASE = 300;
const runs = new Map<number, number>();
/** Deliveries whose handler should start succeeding (set by a test). */
const healed = new Set<number>();

const flaky = subscribe({
  name: 'flaky',
  channel: 'test.event',
  retry: { maxAttempts: 4, baseDelayMs: BASE, maxDelayMs: 10_000 },
  timeoutMs: 500,
  handler: async (payload, ctx) => {
    runs.set(payload.n, (runs.get(payload.n) ?? 0) + 1);
    if (healed.has(payload.n)) return { ok: true, attempt: ctx.attempt };
    if (payload.mode === 'permanent')
      throw new PermanentError('inactive recipient', { code: '406', result: { errorCode: 406 } });
    if (payload.mode === 'retry-after' && ctx.attempt === 1)
      throw new RetryableError('maintenance', { retryAfterMs: payload.ms ?? 1_500, code: '100' });
    if (payload.mode === 'sleep') await new Promise((r) => setTimeout(r, payload.ms ?? 2_000));
    if (payload.mode === 'fail') throw new Error(`provider down (try ${ctx.attempt})`);
    return { messageId: `m-${payload.n}-${ctx.attempt}` };
  },
});

let t: TestDatabase;
let worker: Worker;

beforeAll(async () => {
  t = await createTestDatabase();
  worker = inProcessWorker(t, [flaky], { pollIntervalMs: 50 });
  await worker.start();
});
afterAll(async () => {
  await worker?.stop();
  await t?.drop();
});

interface Attempt {
  attempt: number;
  outcome: string;
  started_at: Date;
  finished_at: Date;
  next_run_at: Date | null;
  error: string | null;
  error_code: string | null;
  result: unknown;
  manual: boolean;
}

async function deliveryFor(n: number) {
  const [row] = await t.query<{ id: number; state: string; attempts: number }>(
    `SELECT d.id, d.state, d.attempts FROM herald.deliveries d JOIN herald.events e ON e.id = d.event_id
     WHERE (e.payload->>'n')::int = $1`,
    [n],
  );
  return row!;
}

async function attemptsOf(deliveryId: number): Promise<Attempt[]> {
  return t.query<Attempt>('SELECT * FROM herald.attempts WHERE delivery_id = $1 ORDER BY attempt, id', [
    deliveryId,
  ]);
}

async function settled(n: number, state: string) {
  return waitFor(`event ${n} to be ${state}`, async () => {
    const d = await deliveryFor(n);
    return d.state === state ? d : undefined;
  });
}

describe('retries, dead letters and replay', () => {
  it('records a success with what the handler returned', async () => {
    await publish(t.db, 'test.event', { n: 1 });
    const d = await settled(1, 'succeeded');
    const [a] = await attemptsOf(d.id);
    expect(a).toMatchObject({
      attempt: 1,
      outcome: 'succeeded',
      result: { messageId: 'm-1-1' },
      manual: false,
    });
    expect(a!.finished_at.getTime()).toBeGreaterThanOrEqual(a!.started_at.getTime());
  });

  it('retries a failing handler on the documented schedule, then goes dead after the last attempt', async () => {
    await publish(t.db, 'test.event', { n: 2, mode: 'fail' });
    const d = await settled(2, 'dead');
    const attempts = await attemptsOf(d.id);
    expect(attempts.map((a) => a.outcome)).toEqual(['failed', 'failed', 'failed', 'dead']);
    expect(attempts[3]!.next_run_at).toBeNull();
    expect(attempts[0]!.error).toBe('provider down (try 1)');
    // Attempt k waits base·2^(k−1) ± 25 % before the next one …
    for (const [i, a] of attempts.slice(0, 3).entries()) {
      const planned = a.next_run_at!.getTime() - a.finished_at.getTime();
      const nominal = BASE * 2 ** i;
      expect(planned).toBeGreaterThanOrEqual(nominal * 0.75 - 5);
      expect(planned).toBeLessThanOrEqual(nominal * 1.25 + 5);
      // … and the next attempt does not start before it (nor much after: the poll is 50 ms).
      const next = attempts[i + 1]!.started_at.getTime();
      expect(next).toBeGreaterThanOrEqual(a.next_run_at!.getTime() - 5);
      expect(next - a.next_run_at!.getTime()).toBeLessThan(1_500);
    }
    expect(runs.get(2)).toBe(4);
  });

  it('sends a permanent failure straight to dead, keeping the provider evidence', async () => {
    await publish(t.db, 'test.event', { n: 3, mode: 'permanent' });
    const d = await settled(3, 'dead');
    const attempts = await attemptsOf(d.id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ outcome: 'dead', error_code: '406', result: { errorCode: 406 } });
  });

  it("honours a handler's Retry-After instead of the backoff", async () => {
    await publish(t.db, 'test.event', { n: 4, mode: 'retry-after', ms: 1_500 });
    const d = await settled(4, 'succeeded');
    const [first, second] = await attemptsOf(d.id);
    const planned = first!.next_run_at!.getTime() - first!.finished_at.getTime();
    expect(planned).toBeGreaterThanOrEqual(1_490);
    expect(planned).toBeLessThan(1_600);
    expect(second!.started_at.getTime()).toBeGreaterThanOrEqual(first!.next_run_at!.getTime() - 5);
  });

  it('times out a slow handler as a failed attempt and retries it', async () => {
    await publish(t.db, 'test.event', { n: 5, mode: 'sleep', ms: 5_000 });
    const d = await waitFor('a timed-out attempt', async () => {
      const row = await deliveryFor(5);
      const attempts = await attemptsOf(row.id);
      return attempts.length > 0 ? { row, attempts } : undefined;
    });
    expect(d.attempts[0]).toMatchObject({ outcome: 'failed', error_code: 'timeout' });
    healed.add(5);
    await settled(5, 'succeeded');
  });

  it('replays a dead delivery: it is delivered and every earlier attempt is kept', async () => {
    const dead = await deliveryFor(2);
    healed.add(2);
    expect(
      await replayDelivery(t.db, dead.id, { actor: 'user:ops@example.com', reason: 'provider is back' }),
    ).toBe(true);
    // A second replay of the same delivery does nothing (it is no longer dead).
    expect(await replayDelivery(t.db, dead.id, { actor: 'user:other@example.com' })).toBe(false);
    await settled(2, 'succeeded');
    const attempts = await attemptsOf(dead.id);
    expect(attempts.map((a) => [a.attempt, a.outcome, a.manual])).toEqual([
      [1, 'failed', false],
      [2, 'failed', false],
      [3, 'failed', false],
      [4, 'dead', false],
      [5, 'succeeded', true],
    ]);
    const audit = await t.query('SELECT actor, action, target, reason FROM herald.audit_log');
    expect(audit).toEqual([
      {
        actor: 'user:ops@example.com',
        action: 'delivery.replay',
        target: `delivery:${dead.id}`,
        reason: 'provider is back',
      },
    ]);
  });

  it('grants a replayed delivery a fresh retry budget', async () => {
    await publish(t.db, 'test.event', { n: 6, mode: 'permanent' });
    const d = await settled(6, 'dead');
    await t.query(
      `UPDATE herald.events SET payload = '{"n": 6, "mode": "fail"}' WHERE id = (SELECT event_id FROM herald.deliveries WHERE id = $1)`,
      [d.id],
    );
    await replayDelivery(t.db, d.id, { actor: 'test' });
    await settled(6, 'dead');
    await waitFor('four more attempts', async () => (await attemptsOf(d.id)).length === 5);
  });

  it('runs a scheduled retry now on request, and discards on request', async () => {
    await t.query(
      `UPDATE herald.subscriptions SET backoff_base_ms = 3600000, backoff_max_ms = 3600000 WHERE name = 'flaky'`,
    );
    await publish(t.db, 'test.event', { n: 7, mode: 'fail' });
    const waiting = await waitFor('the first failure', async () => {
      const row = await deliveryFor(7);
      return row.attempts === 1 && row.state === 'pending' ? row : undefined;
    });
    healed.add(7);
    expect(
      await retryDeliveryNow(t.db, waiting.id, {
        actor: 'user:support@example.com',
        reason: 'customer waiting',
      }),
    ).toBe(true);
    await settled(7, 'succeeded');
    expect((await attemptsOf(waiting.id)).at(-1)).toMatchObject({ outcome: 'succeeded', manual: true });

    await publish(t.db, 'test.event', { n: 8, mode: 'fail' });
    const other = await waitFor('a scheduled retry', async () => {
      const row = await deliveryFor(8);
      return row.attempts === 1 && row.state === 'pending' ? row : undefined;
    });
    expect(
      await discardDelivery(t.db, other.id, { actor: 'user:ops@example.com', reason: 'duplicate order' }),
    ).toBe(true);
    expect((await deliveryFor(8)).state).toBe('discarded');
    expect(await retryDeliveryNow(t.db, other.id, { actor: 'x' })).toBe(false);
  });
});
