import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../lib/db/client';
import { createPublisher } from '../lib/publish';
import { subscriptionsFor } from '../lib/subscriptions/define';
import { Maintenance } from '../worker/maintenance';
import { testChannels } from './fixtures/channels';
import { createTestDatabase, type TestDatabase, waitFor } from './helpers/db';
import { inProcessWorker } from './helpers/in-process-worker';

const { publishMany } = createPublisher(testChannels);
const subscribe = subscriptionsFor(testChannels);
let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t?.drop());

function maintenance() {
  return new Maintenance({
    pool: t.pool,
    log: pino({ level: 'silent' }),
    retentionDays: 14,
    deadRetentionDays: 90,
    pruneIntervalMs: 3_600_000,
    rollupIntervalMs: 3_600_000,
  });
}

describe('throughput rollups', () => {
  it('counts published events and outcomes per second and per minute', async () => {
    const sub = subscribe({
      name: 'half-fails',
      channel: 'test.event',
      retry: { maxAttempts: 1 },
      handler: async (p) => {
        if (p.n % 2) throw new Error('odd');
      },
    });
    const worker = inProcessWorker(t, [sub]);
    await worker.start();
    await publishMany(
      t.db,
      Array.from({ length: 40 }, (_, n) => ({ channel: 'test.event' as const, payload: { n } })),
    );
    await waitFor('all outcomes', async () => {
      const [r] = await t.query(
        `SELECT count(*)::int AS n FROM herald.deliveries WHERE state IN ('pending','running')`,
      );
      return r!.n === 0;
    });
    await worker.stop();
    const m = maintenance();
    const totals = await waitFor('the rollup to include every outcome', async () => {
      await m.rollUp();
      const [row] = await t.query(
        `SELECT sum(published)::int AS published, sum(succeeded)::int AS succeeded, sum(dead)::int AS dead
         FROM herald.activity WHERE resolution = 'minute'`,
      );
      return row!.dead === 20 ? row : undefined;
    });
    expect(totals).toEqual({ published: 40, succeeded: 20, dead: 20 });
    const [seconds] = await t.query(
      `SELECT sum(published)::int AS published FROM herald.activity WHERE resolution = 'second' AND channel = 'test.event'`,
    );
    expect(seconds!.published).toBe(40);
    // Running it again recounts the recent window instead of adding to it.
    await m.rollUp();
    const [again] = await t.query(
      `SELECT sum(published)::int AS published FROM herald.activity WHERE resolution = 'minute'`,
    );
    expect(again!.published).toBe(40);
  });
});

describe('retention', () => {
  it('removes expired history while a worker delivers at full speed, keeping dead letters inside their window', async () => {
    await t.query('TRUNCATE herald.events CASCADE');
    await t.query(
      `INSERT INTO herald.subscriptions (name, channel_pattern) VALUES ('history', 'test.other') ON CONFLICT DO NOTHING`,
    );
    // 5,000 old events: succeeded 20 days ago (expired), dead 20 days ago (kept), dead 100 days ago (expired).
    await t.query(`
      INSERT INTO herald.events (channel, payload, created_at)
      SELECT 'test.other', jsonb_build_object('n', i), now() - CASE WHEN i % 10 = 9 THEN interval '100 days' ELSE interval '20 days' END
      FROM generate_series(1, 5000) i`);
    // The fan-out trigger made their deliveries; finish them in the past.
    await t.query(`
      WITH d AS (
        UPDATE herald.deliveries d
        SET state = CASE WHEN (e.payload->>'n')::int % 10 >= 8 THEN 'dead' ELSE 'succeeded' END,
            finished_at = e.created_at, attempts = 1
        FROM herald.events e WHERE d.event_id = e.id RETURNING d.id, d.finished_at
      )
      INSERT INTO herald.attempt_log (delivery_id, attempt, started_at, finished_at, outcome)
      SELECT id, 1, finished_at, finished_at, 'succeeded' FROM d`);
    // Events no subscriber wanted, long ago.
    await t.query(`INSERT INTO herald.events (channel, payload, created_at)
                   SELECT 'nobody.listens', '{}', now() - interval '30 days' FROM generate_series(1, 500)`);

    let delivered = 0;
    const live = subscribe({
      name: 'live',
      channel: 'test.event',
      concurrency: 20,
      handler: async () => void delivered++,
    });
    const worker = inProcessWorker(t, [live]);
    await worker.start();
    const publishing = (async () => {
      for (let i = 0; i < 20; i++) {
        await publishMany(
          t.db,
          Array.from({ length: 250 }, (_, n) => ({ channel: 'test.event' as const, payload: { n } })),
        );
      }
    })();
    const removed = await maintenance().prune();
    await publishing;
    await waitFor('the live traffic to be delivered', async () => delivered === 5_000);
    await worker.stop();

    const [left] = await t.query(`
      SELECT count(*) FILTER (WHERE state = 'succeeded' AND finished_at < now() - interval '14 days')::int AS expired,
             count(*) FILTER (WHERE state = 'dead' AND finished_at > now() - interval '90 days')::int AS dead_kept,
             count(*) FILTER (WHERE state = 'dead' AND finished_at < now() - interval '90 days')::int AS dead_expired
      FROM herald.deliveries`);
    expect(left).toEqual({ expired: 0, dead_kept: 500, dead_expired: 0 });
    // 4,000 + 500 deliveries, their events, and the 500 events nobody wanted.
    expect(removed).toBe(4_500 + 4_500 + 500);
    const [events] = await t.query(
      `SELECT count(*)::int AS n FROM herald.events WHERE created_at < now() - interval '14 days'`,
    );
    expect(events!.n).toBe(500); // the ones held by kept dead letters
    const [orphanAttempts] = await t.query(
      `SELECT count(*)::int AS n FROM herald.attempts a WHERE NOT EXISTS (SELECT 1 FROM herald.deliveries d WHERE d.id = a.delivery_id)`,
    );
    expect(orphanAttempts!.n).toBe(0);
    const [state] = await t.query(
      `SELECT pruned_before > now() - interval '15 days' AS set FROM herald.maintenance_state`,
    );
    expect(state!.set).toBe(true);
  });
});

describe('stopping', () => {
  it('waits for a rollup under way, so the pool can be closed right after (as the worker does)', async () => {
    const pool = createPool(t.url, { max: 2, applicationName: 'herald-maintenance-stop' });
    const warnings: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
    const m = new Maintenance({
      pool,
      log,
      retentionDays: 14,
      deadRetentionDays: 90,
      pruneIntervalMs: 3_600_000,
      rollupIntervalMs: 100,
    });
    // The rollup rewrites herald.activity: a SHARE lock held here keeps it waiting mid-run.
    const blocker = await t.pool.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE herald.activity IN SHARE MODE');
      m.start();
      await waitFor('a rollup to wait on the lock', async () => {
        const [r] = await t.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE application_name = 'herald-maintenance-stop' AND wait_event_type = 'Lock'`,
        );
        return r!.n === 1;
      });
      let stopped = false;
      const stopping = Promise.resolve(m.stop()).then(() => {
        stopped = true;
      });
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      expect(stopped).toBe(false);
      await blocker.query('COMMIT');
      await stopping;
    } finally {
      blocker.release();
    }
    await pool.end();
    // The rollup finished, announcement included, before the pool closed.
    expect(warnings).toEqual([]);
  });
});
