import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';

/**
 * SQLSTATEs that say "this server cannot answer now", not "this query is wrong": connection
 * failures (class 08), the server shutting down or starting (57P01–57P03), and 40001, which a hot
 * standby raises when replay had to cancel a query that conflicted with it ("canceling statement
 * due to conflict with recovery"). The same read on the primary will answer.
 */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|40001)$/;
/** Node's socket errors, and pg's own messages for a connection that went away or never came. */
const UNAVAILABLE_NODE_CODE =
  /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND)$/;
// Not pg-pool's "timeout exceeded when trying to connect": that is a busy read pool, which stays
// a 503 read_timeout (lib/db/reads.ts) rather than moving the replica's load onto the primary.
const UNAVAILABLE_MESSAGE =
  /Connection terminated unexpectedly|the database system is (starting up|shutting down|in recovery mode)/i;

/** True when `error` says the server (not the query) failed; looks through wrappers' `cause`. */
export function isServerUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_NODE_CODE.test(code)))
      return true;
    if (e instanceof Error && UNAVAILABLE_MESSAGE.test(e.message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

type Query = (...args: unknown[]) => Promise<unknown>;

/**
 * Told when a read running inside `run` was answered by the fallback: the read router
 * (lib/db/read-routing.ts) relabels that read as the primary's, so the answer never says "read
 * from the replica" for data the replica did not serve.
 */
export const answeredByFallback = new AsyncLocalStorage<() => void>();

/**
 * A pool on the replica that answers from `fallback` (the primary's read pool) when the replica
 * cannot: a read that lands in the second between the replica going away and the monitor noticing
 * still gets its data, never an error page. Only whole single statements and fresh checkouts are
 * retried: a transaction that already ran on the replica is not moved mid-way.
 *
 * A subclass of pg.Pool because Drizzle checks `instanceof Pool` to decide how to run a
 * transaction; only the promise forms of `query` and `connect` are used by Herald.
 */
export class FailoverPool extends pg.Pool {
  constructor(
    config: pg.PoolConfig,
    private readonly fallback: pg.Pool,
    private readonly onUnavailable: (error: unknown) => void,
  ) {
    super(config);
  }

  // biome-ignore lint/suspicious/noExplicitAny: pg.Pool's overloads cannot be re-declared one by one
  override query(...args: any[]): any {
    const replica = super.query as unknown as Query;
    const fallback = this.fallback.query as unknown as Query;
    return replica.apply(this, args).catch((error: unknown) => {
      if (!isServerUnavailable(error)) throw error;
      this.onUnavailable(error);
      answeredByFallback.getStore()?.();
      return fallback.apply(this.fallback, args);
    });
  }

  // biome-ignore lint/suspicious/noExplicitAny: as above
  override connect(...args: any[]): any {
    if (args.length > 0) return (super.connect as unknown as (...a: unknown[]) => unknown).apply(this, args);
    return super.connect().catch((error: unknown) => {
      if (!isServerUnavailable(error)) throw error;
      this.onUnavailable(error);
      answeredByFallback.getStore()?.();
      return this.fallback.connect();
    });
  }
}
