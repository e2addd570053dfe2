import type pg from 'pg';
import { config } from '../config';
import {
  createDb,
  createPool,
  type Db,
  poolConfig,
  readPoolOptions,
  sharedPool,
  sharedReadDb,
  sharedReadPool,
} from './client';
import { answeredByFallback, FailoverPool } from './failover-pool';
import { type Lsn, maxLsn, parseLsn } from './lsn';
import { ReplicaMonitor, type ReplicaStatus } from './replica-monitor';

/**
 * Which server answers a read. With HERALD_READ_DATABASE_URL set, the dashboard's pages and the
 * read API go to that replica while it is within HERALD_READ_MAX_LAG_MS of the primary and has
 * replayed at least as far as the caller has already seen (`after`: the herald_read_after
 * cookie, set after every read and every write the caller made, lib/db/lsn.ts). Otherwise the
 * read runs on the primary's read pool, with a note saying why when the replica is unhealthy.
 * Writes, claims and publishes never come here: they use `sharedDb()` on the primary.
 *
 * Why the position and not only the lag: a refresh that lands on a replica a few hundred ms
 * behind the page the user just saw would show counts going backwards, and the page after a
 * replay would still show the delivery as dead. Comparing WAL positions (pg_last_wal_replay_lsn()
 * on the replica against what the caller saw) makes both impossible at the cost of an
 * occasional read on the primary; the next tick goes to the replica again.
 */
export interface ReadTarget {
  db: Db;
  /** The pool behind `db`, to ask afterwards how far the data served was. */
  pool: pg.Pool;
  source: 'replica' | 'primary';
  /** Why a configured replica was not used, for the page to show; null when it was, or none is configured. */
  note: string | null;
  /** The replica as last measured; null without one. */
  replica: ReplicaStatus | null;
}

/** Where reads were served, as the overview and health report it. */
export interface ReadsInfo {
  source: 'replica' | 'primary';
  note: string | null;
  replica: ReplicaStatus | null;
}

export function replicaNote(status: ReplicaStatus, maxLagMs: number): string | null {
  if (status.state === 'down') return 'The read replica is not answering: reading from the primary.';
  if (status.state === 'lagging')
    return status.lagMs === null
      ? 'The read replica has not reported how far behind it is: reading from the primary.'
      : `The read replica is ${seconds(status.lagMs)} behind (more than the ${seconds(maxLagMs)} allowed): reading from the primary.`;
  return null;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

export class ReadRouter {
  constructor(
    private readonly primary: { db: Db; pool: pg.Pool },
    private readonly replica: { db: Db; pool: pg.Pool; monitor: ReplicaMonitor; maxLagMs: number } | null,
  ) {}

  get hasReplica(): boolean {
    return this.replica !== null;
  }

  async choose(after: Lsn | null): Promise<ReadTarget> {
    const onPrimary = (note: string | null, replica: ReplicaStatus | null): ReadTarget => ({
      ...this.primary,
      source: 'primary',
      note,
      replica,
    });
    if (!this.replica) return onPrimary(null, null);
    const { status, replay } = await this.replica.monitor.status();
    const unhealthy = replicaNote(status, this.replica.maxLagMs);
    if (unhealthy) return onPrimary(unhealthy, status);
    // The replica has not replayed what this caller already saw (its own write, or a page
    // served from the primary): this one read comes from the primary, without alarm.
    if (after !== null && (replay === null || replay < after)) return onPrimary(null, status);
    return { db: this.replica.db, pool: this.replica.pool, source: 'replica', note: null, replica: status };
  }

  /**
   * One read: on the target `choose(after)` picks, with `reads` saying where it was served.
   * When the replica fails during the read (FailoverPool answers from the primary), `reads`
   * becomes the primary's, with the replica's down note, before `run` builds its answer from it
   * (read it after the queries), and the position kept for the caller is the primary's.
   * `position`: how far the data served can reach, never earlier than `after`; null without a
   * replica (every read is on the primary: nothing to keep, no extra round trip).
   */
  async read<T>(
    after: Lsn | null,
    run: (db: Db, reads: ReadsInfo) => Promise<T>,
  ): Promise<{ result: T; reads: ReadsInfo; position: Lsn | null }> {
    const target = await this.choose(after);
    const reads: ReadsInfo = { source: target.source, note: target.note, replica: target.replica };
    let servedBy = target.pool;
    const replica = this.replica;
    const result = await answeredByFallback.run(
      () => {
        if (!replica || servedBy === this.primary.pool) return;
        servedBy = this.primary.pool;
        reads.source = 'primary';
        // FailoverPool has just marked the replica down: its status says so, as of now.
        const status = replica.monitor.current();
        reads.replica = status;
        reads.note = status && replicaNote(status, replica.maxLagMs);
      },
      () => run(target.db, reads),
    );
    if (!replica) return { result, reads, position: null };
    const position = maxLsn(after, await servedPosition(servedBy));
    return { result, reads, position };
  }

  /** The replica's status measured now; null without a replica. */
  async replicaStatus(): Promise<ReplicaStatus | null> {
    return this.replica ? this.replica.monitor.refresh() : null;
  }
}

// Asked after a read, on the server that answered it: an upper bound of every commit that read
// could have seen. The insert position on a primary (a commit is visible only after its record
// is inserted, even with synchronous_commit off), the replay position on a standby.
const SERVED_POSITION_SQL = `SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()
  ELSE pg_current_wal_insert_lsn() END)::text AS lsn`;

/** How far the data a read on `pool` saw can reach; null when the server does not answer. */
export async function servedPosition(pool: pg.Pool): Promise<Lsn | null> {
  try {
    const { rows } = await pool.query<{ lsn: string | null }>(SERVED_POSITION_SQL);
    return parseLsn(rows[0]?.lsn);
  } catch {
    return null;
  }
}

/** The primary's position now, for the caller of a write to read its own write afterwards. */
export function writePosition(): Promise<Lsn | null> {
  return servedPosition(sharedPool());
}

const holder = globalThis as unknown as { heraldReadRouter?: ReadRouter };

/** The process's router, on globalThis like the pools (Next.js hot reload). */
export function sharedReadRouter(): ReadRouter {
  if (!holder.heraldReadRouter) {
    const c = config();
    const primary = { db: sharedReadDb(), pool: sharedReadPool() };
    const url = c.HERALD_READ_DATABASE_URL;
    if (!url) holder.heraldReadRouter = new ReadRouter(primary, null);
    else {
      // The probe has a connection of its own with short timeouts, so a replica that hangs is
      // declared down in about a second instead of after the read timeout.
      const probe = createProbePool(url);
      const monitor = new ReplicaMonitor({
        primary: sharedPool(),
        replica: probe,
        maxLagMs: c.HERALD_READ_MAX_LAG_MS,
        checkEveryMs: c.HERALD_READ_LAG_CHECK_MS,
      });
      const pool = new FailoverPool(
        poolConfig(url, readPoolOptions('herald-read-replica')),
        primary.pool,
        (error) => monitor.markDown(error),
      );
      pool.on('error', () => {});
      holder.heraldReadRouter = new ReadRouter(primary, {
        db: createDb(pool),
        pool,
        monitor,
        maxLagMs: c.HERALD_READ_MAX_LAG_MS,
      });
    }
  }
  return holder.heraldReadRouter;
}

function createProbePool(url: string): pg.Pool {
  const timeout = Math.max(500, Math.min(2_000, config().HERALD_READ_LAG_CHECK_MS));
  return createPool(url, {
    max: 1,
    applicationName: 'herald-read-probe',
    connectionTimeoutMs: timeout,
    queryTimeoutMs: timeout,
  });
}
