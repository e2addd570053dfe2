import type pg from 'pg';
import { type Lsn, parseLsn } from './lsn';

/** What the app knows about its read replica, as shown by /api/health and the overview. */
export interface ReplicaStatus {
  /** `ok`: reads may go there; `lagging`: further behind than allowed; `down`: did not answer. */
  state: 'ok' | 'lagging' | 'down';
  /** How far behind the primary, in ms (0 when it has replayed all the primary had flushed); null when unknown. */
  lagMs: number | null;
  /** How far it has replayed (`X/Y`); null when down. */
  replayLsn: string | null;
  /** When this was measured (ISO time, the app's clock). */
  checkedAt: string;
  /** Why it is down, in a few words. */
  error?: string;
}

export interface MonitorOptions {
  /** A connection to the primary, to ask how far it has flushed WAL. */
  primary: pg.Pool;
  /** A connection to the replica itself (never one that falls back). */
  replica: pg.Pool;
  maxLagMs: number;
  checkEveryMs: number;
}

// Asked on the replica. A server that is not in recovery (a URL that names a primary, or a
// promoted standby) has no replay position: its own insert position stands in, lag 0.
const REPLICA_SQL = `SELECT pg_is_in_recovery() AS standby,
  (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_insert_lsn() END)::text AS replay,
  (extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000)::float8 AS since_replay_ms`;

/**
 * Measures the replica's lag: first how far the primary has flushed (a standby can only ever
 * receive flushed WAL), then how far the replica has replayed. Replayed at least that far means
 * no lag at all (an idle primary makes `pg_last_xact_replay_timestamp()` age without any lag,
 * hence the position check first). Otherwise the lag is the smaller of the age of the last
 * commit it replayed and the time since this process first saw it behind, both upper bounds of
 * how old the newest data a reader is missing can be. Clocks: the age compares the replica's
 * clock with the primary's commit time, so skew between the two hosts adds to it.
 *
 * One measurement at a time per process, at most every `checkEveryMs`, made when a read asks
 * (no timer to leak across hot reloads); a read never waits for one except the very first.
 */
export class ReplicaMonitor {
  private last: { status: ReplicaStatus; replay: Lsn | null; at: number } | null = null;
  private pending: Promise<void> | null = null;
  /** When this process first found the replica behind the primary, since it was last caught up. */
  private behindSince: number | null = null;

  constructor(private readonly options: MonitorOptions) {}

  /** The latest status, refreshed in the background when older than `checkEveryMs`. */
  async status(): Promise<{ status: ReplicaStatus; replay: Lsn | null }> {
    const stale = !this.last || Date.now() - this.last.at >= this.options.checkEveryMs;
    if (stale) {
      this.pending ??= this.measure().finally(() => {
        this.pending = null;
      });
      if (!this.last) await this.pending;
    }
    const last = this.last;
    if (!last) throw new Error('replica monitor: no measurement'); // measure() always sets one
    return { status: last.status, replay: last.replay };
  }

  /** Measures now (tests and the health route, which must not answer from a cache). */
  async refresh(): Promise<ReplicaStatus> {
    this.pending ??= this.measure().finally(() => {
      this.pending = null;
    });
    await this.pending;
    return (this.last as { status: ReplicaStatus }).status;
  }

  /** The latest status without measuring; null before the first measurement. */
  current(): ReplicaStatus | null {
    return this.last?.status ?? null;
  }

  /** A read on the replica failed for the replica's sake: stop sending reads there until it answers a probe. */
  markDown(error: unknown) {
    this.last = {
      status: {
        state: 'down',
        lagMs: null,
        replayLsn: null,
        checkedAt: new Date().toISOString(),
        error: brief(error),
      },
      replay: null,
      at: Date.now(),
    };
  }

  private async measure(): Promise<void> {
    const checkedAt = new Date().toISOString();
    try {
      const primary = await this.options.primary.query<{ flushed: string }>(
        'SELECT pg_current_wal_flush_lsn()::text AS flushed',
      );
      const { rows } = await this.options.replica.query<{
        standby: boolean;
        replay: string | null;
        since_replay_ms: number | null;
      }>(REPLICA_SQL);
      const row = rows[0];
      const flushed = parseLsn(primary.rows[0]?.flushed);
      const replay = parseLsn(row?.replay);
      let lagMs: number | null;
      if (!row?.standby || (replay !== null && flushed !== null && replay >= flushed)) {
        lagMs = 0;
        this.behindSince = null;
      } else {
        this.behindSince ??= Date.now();
        // The better of two upper bounds: since the replica last replayed a commit (too high
        // after a quiet spell on the primary), and since this process first saw it behind.
        const since = row.since_replay_ms === null ? Number.POSITIVE_INFINITY : row.since_replay_ms;
        const lag = Math.min(since, Date.now() - this.behindSince);
        lagMs = Number.isFinite(lag) ? Math.max(0, Math.round(lag)) : null;
      }
      const state = lagMs !== null && lagMs <= this.options.maxLagMs ? 'ok' : 'lagging';
      this.last = {
        status: { state, lagMs, replayLsn: row?.replay ?? null, checkedAt },
        replay,
        at: Date.now(),
      };
    } catch (error) {
      this.last = {
        status: { state: 'down', lagMs: null, replayLsn: null, checkedAt, error: brief(error) },
        replay: null,
        at: Date.now(),
      };
    }
  }
}

function brief(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.slice(0, 200);
}
