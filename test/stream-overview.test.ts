import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feed, parseFeedCursor } from '../lib/queries/feed';
import { COUNT_CAP, overview } from '../lib/queries/overview';
import { syncSubscriptions } from '../lib/subscriptions/sync';
import { subscriptions } from './fixtures/subscriptions';
import { createTestDatabase, type TestDatabase } from './helpers/db';

/**
 * What the live dashboard reads, against a real database: traffic from the rollups, queue
 * counts from the partial indexes, the "no workers" flag, and the feed's keyset cursor.
 */
let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
  // One subscriber, so every event is one delivery.
  await syncSubscriptions(
    t.db,
    subscriptions.filter((s) => s.name === 'recorder'),
    30_000,
  );
});
afterAll(async () => {
  await t?.drop();
});

const publish = (n: number, runAt = 'now()') =>
  t.query(
    `SELECT herald.publish('test.event', jsonb_build_object('n', i), NULL, NULL, ${runAt}) FROM generate_series(1, $1) i`,
    [n],
  );

describe('overview()', () => {
  it('flags missing workers only while due work waits', async () => {
    let o = await overview(t.db, '15m');
    expect(o.noWorkers).toBe(false);
    expect(o.queue).toMatchObject({ pendingDue: 0, scheduled: 0, running: 0, dead: 0, lagSeconds: null });

    await publish(3);
    await publish(2, "now() + interval '1 hour'");
    o = await overview(t.db, '15m');
    expect(o.queue).toMatchObject({ pendingDue: 3, scheduled: 2 });
    expect(o.queue.lagSeconds).toBeGreaterThanOrEqual(0);
    expect(o.noWorkers).toBe(true);

    await t.query(`SELECT herald.register_worker('w1', 'host', 42, ARRAY['recorder'])`);
    o = await overview(t.db, '15m');
    expect(o.noWorkers).toBe(false);
    expect(o.workers).toMatchObject([{ id: 'w1', pid: 42, online: true }]);

    await t.query(`UPDATE herald.workers SET last_heartbeat_at = now() - interval '5 minutes'`);
    expect((await overview(t.db, '15m')).noWorkers).toBe(true);
    // Paused subscriptions do not count as waiting work.
    await t.query(`UPDATE herald.subscriptions SET paused = true`);
    expect((await overview(t.db, '15m')).noWorkers).toBe(false);
    await t.query(`UPDATE herald.subscriptions SET paused = false`);
  });

  it('reads traffic from the rollups and counts dead letters up to the cap', async () => {
    await t.query(
      `UPDATE herald.deliveries SET state = 'dead', finished_at = now() WHERE id IN (SELECT id FROM herald.deliveries LIMIT 2)`,
    );
    await t.query(
      `INSERT INTO herald.attempt_log (delivery_id, attempt, started_at, finished_at, outcome)
       SELECT id, 1, now() - interval '3 seconds', now() - interval '2 seconds', 'dead' FROM herald.deliveries WHERE state = 'dead'`,
    );
    await t.query(`UPDATE herald.events SET created_at = now() - interval '2 seconds'`);
    await t.query('SELECT herald.roll_up()');
    const o = await overview(t.db, '15m');
    expect(o.series.points).toHaveLength(900);
    expect(o.series.points.reduce((n, p) => n + p.published, 0)).toBe(5);
    expect(o.traffic).toMatchObject({ published15m: 5, dead15m: 2, failureRate: 1 });
    expect(o.queue.dead).toBe(2);
    expect(o.subscriptions.find((s) => s.name === 'recorder')).toMatchObject({ dead: 2, dead15m: 2 });
    expect(COUNT_CAP).toBeGreaterThan(2);
    for (const range of ['1h', '24h', '7d'] as const) {
      const r = await overview(t.db, range);
      expect(r.series.stepSeconds).toBe(range === '7d' ? 600 : 60);
      expect(r.series.points.at(-1)!.t).toBe(r.series.to);
      expect(r.series.points.reduce((n, p) => n + p.published, 0)).toBe(5);
    }
  });
});

describe('feed()', () => {
  it('returns the newest rows, then only what is newer than its cursor, filtered', async () => {
    const first = await feed(t.db, { limit: 50 }, true);
    expect(first.events).toHaveLength(5);
    expect(first.events[0]!.id).toBeGreaterThan(first.events[4]!.id);
    expect(first.attempts).toHaveLength(2);
    const after = parseFeedCursor(first.cursor);
    expect((await feed(t.db, { limit: 50, after }, true)).events).toHaveLength(0);

    await publish(2);
    const next = await feed(t.db, { limit: 50, after }, true);
    expect(next.events).toHaveLength(2);
    expect((await feed(t.db, { limit: 50, after, channel: 'test.other' }, true)).events).toHaveLength(0);
    expect((await feed(t.db, { limit: 50, after, subscription: 'recorder' }, true)).events).toHaveLength(2);
    expect(() => parseFeedCursor('nope')).toThrow('invalid cursor');
  });

  it('walks outcomes past its cursor one page at a time, both kinds, ties in one instant included', async () => {
    const start = await feed(t.db, { limit: 50 }, true);
    let cursor = parseFeedCursor(start.cursor);
    await publish(4);
    // Three successes in one statement share their finished_at (kept on the delivery rows),
    // and one failure is logged in a later statement.
    const claimed = await t.query<{ delivery_id: string }>(
      `SELECT delivery_id FROM herald.claim('w1', 'recorder', 4)`,
    );
    expect(claimed).toHaveLength(4);
    const ids = claimed.map((r) => r.delivery_id);
    await t.query(
      `SELECT herald.complete_many('w1', $1::bigint[], ARRAY[1,1,1], ARRAY[NULL,NULL,NULL]::timestamptz[], ARRAY[NULL,NULL,NULL]::jsonb[])`,
      [ids.slice(0, 3)],
    );
    await t.query(`SELECT * FROM herald.fail('w1', $1, 1, 'HTTP 503')`, [ids[3]]);

    const seen: string[] = [];
    for (let page = 0; page < 10; page++) {
      const next = await feed(t.db, { limit: 1, after: cursor }, true);
      if (next.attempts.length === 0) break;
      seen.push(...next.attempts.map((a) => `${a.deliveryId}:${a.outcome}`));
      cursor = parseFeedCursor(next.cursor);
    }
    expect(seen).toEqual([...ids.slice(0, 3).map((id) => `${id}:succeeded`), `${ids[3]}:failed`]);
    // The newest first without a cursor, as the dashboard opens.
    const latest = await feed(t.db, { limit: 2 }, true);
    expect(latest.attempts.map((a) => a.outcome)).toEqual(['failed', 'succeeded']);
  });
});
