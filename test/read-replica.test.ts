import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as healthRoute from '../app/api/health/route';
import * as deliveryReplay from '../app/api/v1/deliveries/[id]/replay/route';
import * as deliveriesRoute from '../app/api/v1/deliveries/route';
import * as eventsRoute from '../app/api/v1/events/route';
import * as overviewRoute from '../app/api/v1/overview/route';
import { createApiKey } from '../lib/auth/api-keys';
import { createDb, createPool } from '../lib/db/client';
import { parseLsn, READ_AFTER_HEADER, READ_SOURCE_HEADER } from '../lib/db/lsn';
import type { HubMessage } from '../lib/realtime/messages';
import { sharedHub } from '../lib/realtime/shared-hub';
import { call } from './api-helpers';
import { ORIGIN } from './auth-helpers';
import { type TestDatabase, waitFor } from './helpers/db';
import { sessionCookieFor } from './helpers/session';
import { type ReplicatedPair, startReplicatedPair } from './helpers/standby';

/**
 * Issue 23: the console and the read API read from a real streaming standby of a real primary
 * (test/helpers/standby.ts: pg_basebackup, or the low-level backup API for the npm binaries),
 * on both database kinds. Reads are counted on the standby itself; lag comes from pausing the
 * standby's replay (pg_wal_replay_pause), an outage from stopping it.
 */
const MAX_LAG_MS = 4_000;

let pair: ReplicatedPair;
let primary: pg.Pool;
let standby: pg.Pool;
let reader: string;
let publisher: string;
let operator: string;

beforeAll(async () => {
  pair = await startReplicatedPair();
  process.env.DATABASE_URL = pair.primaryUrl;
  process.env.HERALD_READ_DATABASE_URL = pair.standbyUrl;
  process.env.HERALD_READ_MAX_LAG_MS = String(MAX_LAG_MS);
  process.env.HERALD_READ_LAG_CHECK_MS = '200';
  primary = createPool(pair.primaryUrl, { max: 3, applicationName: 'herald-test' });
  standby = createPool(pair.standbyUrl, { max: 2, applicationName: 'herald-test' });
  await primary.query(
    `INSERT INTO herald.subscriptions (name, channel_pattern) VALUES ('sms-sender', 'sms')`,
  );
  const db = createDb(primary);
  const key = (name: string, scopes: ('read' | 'publish')[]) =>
    createApiKey(db, {
      name,
      scopes,
      publishChannels: scopes.includes('publish') ? ['*'] : [],
      rateLimitPerMinute: 1_000_000,
      createdBy: 'test',
    }).then((k) => k.token);
  reader = await key('reader', ['read']);
  publisher = await key('publisher', ['publish']);
  operator = await sessionCookieFor({ db } as TestDatabase, 'operator', 'ops@example.com');
  await pair.caughtUp();
}, 150_000);

afterAll(async () => {
  await sharedHub().stop();
  await primary?.end();
  await standby?.end();
  await pair?.stop();
});

let n = 0;
const publish = async () => {
  const r = await call(eventsRoute.POST, '/api/v1/events', {
    token: publisher,
    body: { channel: 'sms', payload: { to: '+14155550100', msg: `hello ${++n}` } },
  });
  expect(r.status).toBe(201);
  return r.body.id as number;
};
const events = (headers: Record<string, string> = {}) =>
  call(eventsRoute.GET, '/api/v1/events', { token: reader, headers, query: 'limit=200' });
const ids = (r: { body: { items: { id: number }[] } }) => r.body.items.map((e) => e.id);
const overviewNow = () => call(overviewRoute.GET, '/api/v1/overview', { token: reader });

/** Scans of Herald's tables the standby has counted itself (a standby keeps its own statistics). */
async function standbyScans(): Promise<number> {
  const { rows } = await standby.query<{ n: number }>(
    `SELECT coalesce(sum(seq_scan + coalesce(idx_scan, 0)), 0)::int8 AS n FROM pg_stat_user_tables WHERE schemaname = 'herald'`,
  );
  return Number(rows[0]?.n ?? 0);
}

/** What each server's backends of an application ran last (pg_stat_activity: immediate, no stats delay). */
async function activity(pool: pg.Pool, applicationName: string): Promise<string[]> {
  const { rows } = await pool.query<{ query: string }>(
    `SELECT query FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`,
    [applicationName],
  );
  return rows.map((r) => r.query);
}

describe('with HERALD_READ_DATABASE_URL on a streaming standby', () => {
  it('serves dashboard reads from the standby (counted there) and never publishes there', async () => {
    const scansBefore = await standbyScans();
    const published = [await publish(), await publish(), await publish()];
    // Each publish answered 201: a write on the standby would have failed (it is read-only).
    const onPrimary = await primary.query<{ n: number }>('SELECT count(*)::int AS n FROM herald.events');
    expect(onPrimary.rows[0]?.n).toBe(3);
    await pair.caughtUp();

    const list = await events();
    expect(list.status).toBe(200);
    expect(list.headers.get(READ_SOURCE_HEADER)).toBe('replica');
    expect(ids(list)).toEqual(expect.arrayContaining(published));
    const o = await overviewNow();
    expect(o.status).toBe(200);
    expect(o.headers.get(READ_SOURCE_HEADER)).toBe('replica');
    expect(o.body.reads).toMatchObject({ source: 'replica', note: null, replica: { state: 'ok' } });

    // The replica pool's connections are on the standby (before they idle out), and none of
    // them ever ran a publish; the primary has none.
    const onStandby = await activity(standby, 'herald-read-replica');
    expect(onStandby.length).toBeGreaterThan(0);
    expect(onStandby.join('\n')).not.toMatch(/herald\.publish|insert into/i);
    expect(await activity(primary, 'herald-read-replica')).toEqual([]);
    // Counted on the standby: its own scan counters moved. Backends flush their statistics
    // when idle, at the latest after 10 s (PGSTAT_IDLE_INTERVAL), hence the long wait.
    await waitFor('the standby to count the reads', async () => (await standbyScans()) > scansBefore, 25_000);
  });

  it('reports the lag, reads a replica that lags too far from the primary with a note, and returns', async () => {
    const health = await call(healthRoute.GET, '/api/health');
    expect(health.body.readReplica).toMatchObject({ state: 'ok', lagMs: 0 });

    await standby.query('SELECT pg_wal_replay_pause()');
    try {
      const id = await publish();
      const lagging = await waitFor(
        'health to report the replica lagging',
        async () => {
          const h = await call(healthRoute.GET, '/api/health');
          return h.body.readReplica?.state === 'lagging' && h.body.readReplica;
        },
        MAX_LAG_MS + 15_000,
      );
      expect(lagging.lagMs).toBeGreaterThan(MAX_LAG_MS);
      const o = await waitFor('the overview to fall back', async () => {
        const r = await overviewNow();
        return r.body.reads?.source === 'primary' && r;
      });
      expect(o.status).toBe(200);
      expect(o.body.reads.note).toMatch(/behind .* reading from the primary/);
      const list = await events();
      expect(list.headers.get(READ_SOURCE_HEADER)).toBe('primary');
      expect(ids(list)).toContain(id);
    } finally {
      await standby.query('SELECT pg_wal_replay_resume()');
    }
    const back = await waitFor('reads to return to the replica', async () => {
      const r = await overviewNow();
      return r.body.reads?.source === 'replica' && r;
    });
    expect(back.body.reads.replica).toMatchObject({ state: 'ok', lagMs: 0 });
  });

  it('never steps back: a read after what the caller has seen waits for the replica to replay it', async () => {
    // A fresh transaction on the replica first, so its lag starts near zero when replay pauses.
    await publish();
    await pair.caughtUp();
    await waitFor('the monitor to see the replica caught up', async () => {
      const h = await call(healthRoute.GET, '/api/health');
      return h.body.readReplica?.lagMs === 0;
    });
    await standby.query('SELECT pg_wal_replay_pause()');
    try {
      const fresh = await publish();
      // What a browser holds after its own write or a read from the primary: the primary's position.
      const { rows } = await primary.query<{ lsn: string }>(
        'SELECT pg_current_wal_insert_lsn()::text AS lsn',
      );
      const seen = rows[0]!.lsn;

      const first = await events({ [READ_AFTER_HEADER]: seen });
      expect(first.headers.get(READ_SOURCE_HEADER)).toBe('primary');
      expect(ids(first)).toContain(fresh);
      // The next refresh carries what the first answer said it reached: still the new event.
      const carried = first.headers.get(READ_AFTER_HEADER);
      expect(carried).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
      const again = await events({ [READ_AFTER_HEADER]: carried! });
      expect(ids(again)).toContain(fresh);
      // The same read without that position, while the replica is still within the allowed lag,
      // is served by the replica and lacks the event: the position is what prevents the step back.
      const blind = await events();
      expect(blind.headers.get(READ_SOURCE_HEADER)).toBe('replica');
      expect(ids(blind)).not.toContain(fresh);
      // And a browser's cookie works like the header.
      const byCookie = await events({ cookie: `herald_read_after=${encodeURIComponent(carried!)}` });
      expect(ids(byCookie)).toContain(fresh);
    } finally {
      await standby.query('SELECT pg_wal_replay_resume()');
    }
    await pair.caughtUp();
    const { rows } = await primary.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
    const later = await waitFor('the replica to serve the caller again', async () => {
      const r = await events({ [READ_AFTER_HEADER]: rows[0]!.lsn });
      return r.headers.get(READ_SOURCE_HEADER) === 'replica' && r;
    });
    expect(later.body.items.length).toBe(n);
  });

  it('shows the page after a replay as replayed while the replica has not replayed it yet', async () => {
    const id = (await call(eventsRoute.POST, '/api/v1/events', {
      token: publisher,
      body: { channel: 'sms', payload: { to: '+14155550100', msg: `hello ${++n}` } },
    }).then((r) => r.body.deliveries[0].id)) as number;
    await primary.query(`UPDATE herald.deliveries SET state = 'dead', finished_at = now() WHERE id = $1`, [
      id,
    ]);
    await pair.caughtUp();
    const dead = (headers: Record<string, string>) =>
      call(deliveriesRoute.GET, '/api/v1/deliveries', { headers, query: 'state=dead&limit=200' }).then(
        (r) => ({
          source: r.headers.get(READ_SOURCE_HEADER),
          ids: (r.body.items as { id: number }[]).map((d) => d.id),
        }),
      );
    expect((await dead({ cookie: operator })).ids).toContain(id);

    await standby.query('SELECT pg_wal_replay_pause()');
    try {
      const replay = await call(deliveryReplay.POST, `/api/v1/deliveries/${id}/replay`, {
        headers: { cookie: operator, origin: ORIGIN },
        params: { id: String(id) },
        body: { reason: 'provider back' },
      });
      expect(replay.status).toBe(200);
      // The operator's browser now carries the primary's position after the replay.
      const setCookie = replay.headers.get('set-cookie') ?? '';
      const position = /herald_read_after=([^;]+)/.exec(setCookie)?.[1];
      expect(position).toBeDefined();
      const after = await dead({ cookie: `${operator}; herald_read_after=${position}` });
      expect(after.source).toBe('primary');
      expect(after.ids).not.toContain(id);
      // The replica still has it dead: without the position the page would have stepped back.
      const stale = await dead({ cookie: operator });
      expect(stale.source).toBe('replica');
      expect(stale.ids).toContain(id);
    } finally {
      await standby.query('SELECT pg_wal_replay_resume()');
    }
  });

  it('sends the primary position with live activity, and a refetch carrying it waits for the replica', async () => {
    const messages: HubMessage[] = [];
    const { unsubscribe } = sharedHub().subscribe((m) => messages.push(m), null);
    try {
      await waitFor('the hub to listen', async () => sharedHub().listening);
      await standby.query('SELECT pg_wal_replay_pause()');
      const fresh = await publish();
      const { rows } = await primary.query<{ lsn: string }>(
        'SELECT pg_current_wal_insert_lsn()::text AS lsn',
      );
      // What the rollup sends each second (worker/maintenance.ts), here by hand.
      await primary.query(`SELECT pg_notify('herald_activity', '{"from":1,"to":2,"seconds":[]}')`);
      const activity = await waitFor('the activity message', async () =>
        messages.find((m) => m.event === 'activity'),
      );
      const lsn = (JSON.parse(activity.data) as { lsn?: string }).lsn;
      expect(parseLsn(lsn)! >= parseLsn(rows[0]!.lsn)!).toBe(true);
      // The page's refetch after that message (app/providers/read-position.ts sends the header).
      const refetch = await events({ [READ_AFTER_HEADER]: lsn! });
      expect(refetch.headers.get(READ_SOURCE_HEADER)).toBe('primary');
      expect(ids(refetch)).toContain(fresh);
    } finally {
      unsubscribe();
      await standby.query('SELECT pg_wal_replay_resume()');
    }
  });

  it('falls back to the primary within seconds when the standby stops, and returns when it is back', async () => {
    await pair.stopStandby();
    const stoppedAt = Date.now();
    // The very next reads answer (from the primary), never an error.
    const list = await events();
    expect(list.status).toBe(200);
    expect(list.body.items.length).toBe(n);
    const o = await waitFor('the overview to say the replica is not answering', async () => {
      const r = await overviewNow();
      expect(r.status).toBe(200);
      return /not answering/.test(r.body.reads?.note ?? '') && r;
    });
    expect(o.body.reads.source).toBe('primary');
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    const health = await call(healthRoute.GET, '/api/health');
    expect(health.body.readReplica).toMatchObject({ state: 'down', lagMs: null });
    expect(JSON.stringify(health.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);

    await pair.startStandby();
    await waitFor('reads to return to the restarted replica', async () => {
      const r = await overviewNow();
      return r.body.reads?.source === 'replica' && r;
    });
  });
});
