import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, createPool, poolConfig } from '../lib/db/client';
import { FailoverPool, isServerUnavailable } from '../lib/db/failover-pool';
import { formatLsn, parseLsn, READ_AFTER_HEADER, readAfterCookie, readAfterOf } from '../lib/db/lsn';
import { ReadRouter, replicaNote } from '../lib/db/read-routing';
import { ReplicaMonitor } from '../lib/db/replica-monitor';
import { freePort } from '../lib/embedded/postgres';
import { createTestDatabase, type TestDatabase } from './helpers/db';

/**
 * The parts of read routing (issue 23) that need no standby; test/read-replica.test.ts runs the
 * rest against a real one.
 */
describe('WAL positions from callers', () => {
  it('parses, orders and prints positions as PostgreSQL does', () => {
    expect(parseLsn('0/16B3748')).toBe(0x16b3748n);
    expect(parseLsn('1/0')! > parseLsn('0/FFFFFFFF')!).toBe(true);
    expect(formatLsn(parseLsn('1A/b374d848')!)).toBe('1A/B374D848');
    for (const bad of ['', '16B3748', '0/', 'x/1', '0/123456789', '0/1; DROP'])
      expect(parseLsn(bad), bad).toBeNull();
  });

  it('takes the later of header and cookie, and ignores a malformed cookie', () => {
    const request = (headers: Record<string, string>) => new Request('http://x/', { headers });
    expect(readAfterOf(request({}))).toBeNull();
    expect(
      readAfterOf(request({ [READ_AFTER_HEADER]: '0/20', cookie: 'a=b; herald_read_after=0%2F10' })),
    ).toBe(0x20n);
    expect(readAfterOf(request({ [READ_AFTER_HEADER]: '0/5', cookie: 'herald_read_after=0%2F10' }))).toBe(
      0x10n,
    );
    expect(readAfterOf(request({ cookie: 'herald_read_after=%E0%A4%A' }))).toBeNull();
    expect(readAfterCookie(0x10n)).toMatch(
      /^herald_read_after=0%2F10; Path=\/; Max-Age=86400; SameSite=Lax$/,
    );
  });
});

describe('which failures move a read to the primary', () => {
  it('server unavailable: connection refused, shutdown, recovery conflict, a dropped connection', () => {
    const pgError = (code: string) => Object.assign(new Error('x'), { code });
    expect(
      isServerUnavailable(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    ).toBe(true);
    expect(isServerUnavailable(pgError('57P01'))).toBe(true);
    expect(isServerUnavailable(pgError('08006'))).toBe(true);
    expect(isServerUnavailable(pgError('40001'))).toBe(true);
    expect(isServerUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    // Wrapped, as Drizzle does.
    expect(isServerUnavailable(Object.assign(new Error('Failed query'), { cause: pgError('57P03') }))).toBe(
      true,
    );
  });

  it('not: a statement timeout, a busy read pool, a bad query', () => {
    const pgError = (code: string) => Object.assign(new Error('x'), { code });
    expect(isServerUnavailable(pgError('57014'))).toBe(false);
    expect(isServerUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(false);
    expect(isServerUnavailable(pgError('42P01'))).toBe(false);
  });
});

describe('the note on the overview', () => {
  const at = new Date().toISOString();
  it('says why reads left the replica, and nothing while it is healthy', () => {
    expect(replicaNote({ state: 'ok', lagMs: 120, replayLsn: '0/1', checkedAt: at }, 5_000)).toBeNull();
    expect(replicaNote({ state: 'down', lagMs: null, replayLsn: null, checkedAt: at }, 5_000)).toMatch(
      /not answering: reading from the primary/,
    );
    expect(replicaNote({ state: 'lagging', lagMs: 12_400, replayLsn: '0/1', checkedAt: at }, 5_000)).toBe(
      'The read replica is 12 s behind (more than the 5.0 s allowed): reading from the primary.',
    );
  });
});

describe('a read the replica fails half-way', () => {
  // A "replica" whose monitor last saw it healthy (the probe asks the test database itself, which
  // is no standby: lag 0) but whose read pool points at a port nobody listens on: the state of
  // the first read after a replica goes away, before the monitor's next measurement.
  let t: TestDatabase;
  let probe: ReturnType<typeof createPool>;
  const pools: { end(): Promise<void> }[] = [];
  beforeAll(async () => {
    t = await createTestDatabase();
    probe = createPool(t.url, { max: 1, applicationName: 'herald-test' });
    pools.push(probe);
  });
  afterAll(async () => {
    for (const p of pools) await p.end();
    await t?.drop();
  });

  async function routerTo(replicaUrl: string) {
    const monitor = new ReplicaMonitor({
      primary: t.pool,
      replica: probe,
      maxLagMs: 5_000,
      checkEveryMs: 600_000,
    });
    expect((await monitor.refresh()).state).toBe('ok');
    const pool = new FailoverPool(poolConfig(replicaUrl, { max: 2 }), t.pool, (e) => monitor.markDown(e));
    pool.on('error', () => {});
    pools.push(pool);
    return new ReadRouter({ db: t.db, pool: t.pool }, { db: createDb(pool), pool, monitor, maxLagMs: 5_000 });
  }
  const insertPosition = async () =>
    parseLsn((await t.query<{ l: string }>('SELECT pg_current_wal_insert_lsn()::text AS l'))[0]?.l)!;

  it("is labelled as the primary's, with the note, and keeps the primary's position", async () => {
    const dead = new URL(t.url);
    dead.port = String(await freePort());
    const router = await routerTo(dead.toString());
    const before = await insertPosition();
    let seen: unknown;
    const { result, reads, position } = await router.read(null, async (db, r) => {
      const rows = await db.execute(sql`SELECT 42 AS answer`);
      seen = { ...r }; // what a handler building its answer after the query sees
      return rows.rows[0];
    });
    expect(result).toEqual({ answer: 42 });
    expect(reads).toMatchObject({ source: 'primary', replica: { state: 'down' } });
    expect(reads.note).toMatch(/not answering: reading from the primary/);
    expect(seen).toEqual(reads);
    expect(position! >= before).toBe(true);
    // The next read goes straight to the primary, with the note, until a probe finds the replica.
    const next = await router.read(null, async () => null);
    expect(next.reads.source).toBe('primary');
    expect(next.reads.note).toMatch(/not answering/);
  });

  it('a replica that answers is labelled as the replica', async () => {
    const router = await routerTo(t.url);
    const { reads, position } = await router.read(null, (db) => db.execute(sql`SELECT 1`));
    expect(reads).toMatchObject({ source: 'replica', note: null, replica: { state: 'ok' } });
    expect(position).not.toBeNull();
  });
});
