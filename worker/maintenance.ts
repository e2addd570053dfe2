import type pg from 'pg';
import type { AlertRunner } from '../lib/alerts/runner';
import { PRUNE_THROTTLE_SQL } from '../lib/auth/password-guess-throttle';
import type { Logger } from '../lib/log';

export interface MaintenanceOptions {
  pool: pg.Pool;
  log: Logger;
  retentionDays: number;
  deadRetentionDays: number;
  pruneIntervalMs: number;
  rollupIntervalMs: number;
  /** Alert rules and their messages (lib/alerts/runner.ts), on timers of their own. */
  alerts?: Pick<AlertRunner, 'start' | 'stop'>;
}

/** NOTIFY payloads must stay under 8,000 bytes: send only the newest seconds. */
const MAX_SECONDS_IN_NOTIFY = 10;

/**
 * Background upkeep that every worker offers and one performs at a time (the SQL functions
 * take advisory locks or SKIP LOCKED): throughput rollups for the dashboard, announced with
 * one small NOTIFY per interval, and retention in small batches that never stall claims.
 */
export class Maintenance {
  private timers: NodeJS.Timeout[] = [];
  private pruning = false;
  private rolling = false;
  private stopped = false;
  private rollupTimer: NodeJS.Timeout | undefined;
  /** Upkeep queries under way: stop() waits for them, so the pool can be closed after it. */
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly options: MaintenanceOptions) {}

  start() {
    const every = (ms: number, fn: () => Promise<unknown>) => {
      const timer = setInterval(() => void this.track(fn()), ms);
      timer.unref();
      this.timers.push(timer);
    };
    this.alignedRollups();
    every(this.options.pruneIntervalMs, () => this.prune());
    this.options.alerts?.start();
  }

  /**
   * Roll up just after each interval boundary (e.g. 50 ms past every second): a second is
   * complete, and counted, as soon as it ends, so the live view lags by about one second
   * rather than up to two.
   */
  private alignedRollups() {
    const interval = this.options.rollupIntervalMs;
    const next = () => {
      if (this.stopped) return;
      const timer = setTimeout(
        () => {
          void this.track(this.rollUp());
          next();
        },
        interval - (Date.now() % interval) + 50,
      );
      timer.unref();
      this.rollupTimer = timer;
    };
    next();
  }

  /**
   * No new upkeep starts; resolves when what is under way has finished (a retention run stops
   * after its current batch). Close the pool only after this, or the last query fails.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.rollupTimer);
    for (const t of this.timers) clearInterval(t);
    await Promise.allSettled([...this.running, this.options.alerts?.stop()]);
  }

  private track(work: Promise<unknown>): Promise<unknown> {
    this.running.add(work);
    void work.finally(() => this.running.delete(work));
    return work;
  }

  async rollUp(): Promise<void> {
    if (this.rolling) return;
    this.rolling = true;
    try {
      const { rows } = await this.options.pool.query<{ r: { seconds: unknown[] } | null }>(
        'SELECT herald.roll_up() AS r',
      );
      const result = rows[0]?.r;
      if (result) {
        const payload = JSON.stringify({ ...result, seconds: result.seconds.slice(-MAX_SECONDS_IN_NOTIFY) });
        await this.options.pool.query(`SELECT pg_notify('herald_activity', $1)`, [payload]);
      }
    } catch (error) {
      this.options.log.warn({ err: String((error as Error).message) }, 'rollup failed');
    } finally {
      this.rolling = false;
    }
  }

  /** Removes expired history batch by batch until nothing is left to remove. */
  async prune(): Promise<number> {
    if (this.pruning) return 0;
    this.pruning = true;
    let total = 0;
    try {
      for (;;) {
        const { rows } = await this.options.pool.query<{ n: number }>(
          `SELECT herald.prune_history($1 * interval '1 day', $2 * interval '1 day') AS n`,
          [this.options.retentionDays, this.options.deadRetentionDays],
        );
        const n = rows[0]?.n ?? 0;
        total += n;
        if (n === 0 || this.stopped) break;
      }
      // Sign-in throttle rows whose lock and window are over (lib/auth/password-guess-throttle.ts).
      await this.options.pool.query(PRUNE_THROTTLE_SQL);
      if (total > 0) this.options.log.info({ removed: total }, 'retention removed expired history');
    } catch (error) {
      this.options.log.warn({ err: String((error as Error).message) }, 'retention failed');
    } finally {
      this.pruning = false;
    }
    return total;
  }
}
