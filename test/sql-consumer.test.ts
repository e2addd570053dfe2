import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher } from '../lib/publish';
import { testChannels } from './fixtures/channels';
import { createTestDatabase, type TestDatabase } from './helpers/db';

/**
 * A consumer in another language uses only the documented SQL functions: the same leases,
 * fencing and retry rules as the TypeScript worker.
 */
const { publishMany } = createPublisher(testChannels);
let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
  await t.query(`INSERT INTO herald.subscriptions (name, channel_pattern, max_attempts, backoff_base_ms, lease_ms)
                 VALUES ('billing-sync', 'test.event', 2, 1000, 5000)`);
});
afterAll(() => t?.drop());

interface Claimed {
  delivery_id: number;
  attempt: number;
  payload: { n: number };
}

describe('consuming with plain SQL', () => {
  it('claims, completes and fails with leases and fencing', async () => {
    await publishMany(
      t.db,
      [1, 2, 3].map((n) => ({ channel: 'test.event' as const, payload: { n } })),
    );
    const claimed = await t.query<Claimed>(`SELECT * FROM herald.claim('php-worker-1', 'billing-sync', 10)`);
    expect(claimed.map((c) => c.payload.n).sort()).toEqual([1, 2, 3]);
    expect(claimed.every((c) => c.attempt === 1)).toBe(true);
    // Claimed rows are leased: another consumer gets nothing.
    expect(await t.query(`SELECT * FROM herald.claim('php-worker-2', 'billing-sync', 10)`)).toEqual([]);

    const [first, second, third] = claimed as [Claimed, Claimed, Claimed];
    // Only the lease owner, for the attempt it holds, can record the outcome.
    const [stranger] = await t.query(`SELECT herald.complete('php-worker-2', $1, 1) AS ok`, [
      first.delivery_id,
    ]);
    expect(stranger!.ok).toBe(false);
    const [wrongAttempt] = await t.query(`SELECT herald.complete('php-worker-1', $1, 2) AS ok`, [
      first.delivery_id,
    ]);
    expect(wrongAttempt!.ok).toBe(false);
    const [done] = await t.query(`SELECT herald.complete('php-worker-1', $1, 1, '{"ref": "inv-1"}') AS ok`, [
      first.delivery_id,
    ]);
    expect(done!.ok).toBe(true);
    const [again] = await t.query(`SELECT herald.complete('php-worker-1', $1, 1) AS ok`, [first.delivery_id]);
    expect(again!.ok).toBe(false);

    const [retry] = await t.query(`SELECT * FROM herald.fail('php-worker-1', $1, 1, 'HTTP 503')`, [
      second.delivery_id,
    ]);
    expect(retry!.outcome).toBe('failed');
    expect(new Date(retry!.next_run_at).getTime()).toBeGreaterThan(Date.now() + 500);
    const [perm] = await t.query(
      `SELECT * FROM herald.fail('php-worker-1', $1, 1, 'HTTP 400', NULL, true, '400')`,
      [third.delivery_id],
    );
    expect(perm).toMatchObject({ outcome: 'dead', next_run_at: null });

    const states = await t.query<{ id: number; state: string }>(
      `SELECT id, state FROM herald.deliveries WHERE subscription = 'billing-sync' ORDER BY id`,
    );
    expect(Object.fromEntries(states.map((s) => [s.id, s.state]))).toEqual({
      [first.delivery_id]: 'succeeded',
      [second.delivery_id]: 'pending',
      [third.delivery_id]: 'dead',
    });

    // The retry becomes claimable at its time; its second failure is the last (max_attempts 2).
    await t.query(`UPDATE herald.deliveries SET run_at = now() WHERE id = $1`, [second.delivery_id]);
    const [reclaimed] = await t.query<Claimed>(`SELECT * FROM herald.claim('php-worker-2', 'billing-sync')`);
    expect(reclaimed).toMatchObject({ delivery_id: second.delivery_id, attempt: 2 });
    const [last] = await t.query(`SELECT * FROM herald.fail('php-worker-2', $1, 2, 'HTTP 503')`, [
      second.delivery_id,
    ]);
    expect(last!.outcome).toBe('dead');
    // A late outcome from the first consumer's old attempt is refused.
    expect(
      await t.query(`SELECT * FROM herald.fail('php-worker-1', $1, 1, 'late')`, [second.delivery_id]),
    ).toEqual([]);
  });

  it('returns an expired lease to the queue and counts the lost attempt', async () => {
    const [event] = await publishMany(t.db, [{ channel: 'test.event', payload: { n: 9 } }]);
    const [c] = await t.query<Claimed>(
      `SELECT c.* FROM herald.claim('php-worker-3', 'billing-sync', 1) c WHERE c.event_id = $1`,
      [event!.id],
    );
    await t.query(
      `UPDATE herald.deliveries SET lease_expires_at = now() - interval '1 second' WHERE id = $1`,
      [c!.delivery_id],
    );
    const [rescued] = await t.query(`SELECT herald.rescue_expired() AS n`);
    expect(rescued!.n).toBe(1);
    const [row] = await t.query('SELECT state, lease_owner FROM herald.deliveries WHERE id = $1', [
      c!.delivery_id,
    ]);
    expect(row).toEqual({ state: 'pending', lease_owner: null });
    const [late] = await t.query(`SELECT herald.complete('php-worker-3', $1, 1) AS ok`, [c!.delivery_id]);
    expect(late!.ok).toBe(false);
    const attempts = await t.query('SELECT outcome, worker FROM herald.attempts WHERE delivery_id = $1', [
      c!.delivery_id,
    ]);
    expect(attempts).toEqual([{ outcome: 'lost', worker: 'php-worker-3' }]);
  });

  it('records the attempt after a replay as manual', async () => {
    const [event] = await publishMany(t.db, [{ channel: 'test.event', payload: { n: 11 } }]);
    const claim = async () =>
      (
        await t.query<Claimed & { manual: boolean }>(
          `SELECT c.* FROM herald.claim('php-worker-4', 'billing-sync', 10) c WHERE c.event_id = $1`,
          [event!.id],
        )
      )[0]!;
    const first = await claim();
    expect(first.manual).toBe(false);
    await t.query(`SELECT * FROM herald.fail('php-worker-4', $1, 1, 'HTTP 400', NULL, true, '400')`, [
      first.delivery_id,
    ]);
    await t.query(`SELECT herald.replay($1, 'user:ops@example.com', 'address fixed')`, [first.delivery_id]);
    const replayed = await claim();
    expect(replayed).toMatchObject({ delivery_id: first.delivery_id, attempt: 2, manual: true });
    const [done] = await t.query(`SELECT herald.complete('php-worker-4', $1, 2) AS ok`, [first.delivery_id]);
    expect(done!.ok).toBe(true);
    const attempts = await t.query(
      'SELECT attempt, outcome, manual FROM herald.attempts WHERE delivery_id = $1 ORDER BY attempt',
      [first.delivery_id],
    );
    expect(attempts).toEqual([
      { attempt: 1, outcome: 'dead', manual: false },
      { attempt: 2, outcome: 'succeeded', manual: true },
    ]);
  });

  it('yields nothing for a paused subscription', async () => {
    await publishMany(t.db, [{ channel: 'test.event', payload: { n: 10 } }]);
    await t.query(`UPDATE herald.subscriptions SET paused = true WHERE name = 'billing-sync'`);
    expect(await t.query(`SELECT * FROM herald.claim('php-worker-1', 'billing-sync', 10)`)).toEqual([]);
    await t.query(`UPDATE herald.subscriptions SET paused = false WHERE name = 'billing-sync'`);
    expect(
      (await t.query(`SELECT * FROM herald.claim('php-worker-1', 'billing-sync', 10)`)).length,
    ).toBeGreaterThan(0);
  });
});
