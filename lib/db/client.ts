import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { config } from '../config';
import * as schema from './schema';

// int8 (bigint ids, count(*)) as JS numbers: Herald's ids and counts stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number.parseInt(v, 10));

export type Db = NodePgDatabase<typeof schema>;
/** A Drizzle transaction handle, as passed to `db.transaction(async (tx) => …)`. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
/** Anything that can run Herald's queries: the database, or a transaction inside it. */
export type Executor = Db | Tx;

export interface PoolOptions {
  max?: number;
  applicationName?: string;
  /** Fail a query that gets no answer in this time (a silently dead connection would hang forever). */
  queryTimeoutMs?: number;
  /** PostgreSQL cancels any statement running longer (SQLSTATE 57014); set per connection at start-up. */
  statementTimeoutMs?: number;
  /** Every transaction is read-only: a write by mistake fails, as it would on a replica. */
  readOnly?: boolean;
  /** Longest wait for a connection (a free one from the pool, or a new one); default 10 s. */
  connectionTimeoutMs?: number;
}

/** The pg.Pool settings Herald uses for `url` (also for pools of another class, lib/db/failover-pool.ts). */
export function poolConfig(url: string, options: PoolOptions = {}): pg.PoolConfig {
  return {
    connectionString: url,
    max: options.max ?? 10,
    keepAlive: true,
    application_name: options.applicationName ?? 'herald',
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
    query_timeout: options.queryTimeoutMs,
    // Startup parameters, not SET: they hold for the whole session without a round trip, and
    // survive anything that resets session state.
    ...(options.statementTimeoutMs !== undefined ? { statement_timeout: options.statementTimeoutMs } : {}),
    ...(options.readOnly ? { options: '-c default_transaction_read_only=on' } : {}),
  };
}

export function createPool(url: string, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool(poolConfig(url, options));
  // An idle client that loses its connection emits 'error' on the pool; without a listener
  // that would crash the process. The next checkout simply opens a new connection.
  pool.on('error', () => {});
  return pool;
}

export function createDb(pool: pg.Pool): Db {
  return drizzle({ client: pool, schema });
}

export function databaseUrl(): string {
  const url = config().DATABASE_URL;
  if (!url)
    throw new Error(
      'DATABASE_URL is not set (the start command sets it when it runs the embedded PostgreSQL)',
    );
  return url;
}

// One pool per process, kept on globalThis so that Next.js hot reload does not leak pools.
const holder = globalThis as unknown as { heraldPool?: pg.Pool; heraldDb?: Db };

export function sharedPool(): pg.Pool {
  holder.heraldPool ??= createPool(databaseUrl(), { max: 10, applicationName: 'herald-app' });
  return holder.heraldPool;
}

export function sharedDb(): Db {
  holder.heraldDb ??= createDb(sharedPool());
  return holder.heraldDb;
}

const readHolder = globalThis as unknown as { heraldReadPool?: pg.Pool; heraldReadDb?: Db };

/**
 * How every read pool is set up (the primary's below, the replica's in lib/db/read-routing.ts):
 * HERALD_READ_POOL_SIZE connections of its own, so slow reads queue against each other and never
 * take the connections publishing, operations and sign-in use; each statement is cancelled after
 * HERALD_READ_STATEMENT_TIMEOUT_MS (lib/db/reads.ts turns that into 503 `read_timeout`); every
 * transaction is read-only, as on a replica. Waiting for a free connection is bounded by the
 * same timeout, so a request ends within about twice it.
 */
export function readPoolOptions(applicationName: string): PoolOptions {
  const c = config();
  const timeout = c.HERALD_READ_STATEMENT_TIMEOUT_MS;
  return {
    max: c.HERALD_READ_POOL_SIZE,
    applicationName,
    statementTimeoutMs: timeout,
    readOnly: true,
    connectionTimeoutMs: Math.max(timeout, 1_000),
    // The server cancels at `timeout`; this only catches a connection that went silent.
    queryTimeoutMs: timeout + 10_000,
  };
}

/**
 * The primary's read pool. Dashboard pages and read API routes do not pick a pool themselves:
 * lib/db/read-routing.ts sends each read here or to the replica (HERALD_READ_DATABASE_URL).
 */
export function sharedReadPool(): pg.Pool {
  readHolder.heraldReadPool ??= createPool(databaseUrl(), readPoolOptions('herald-read'));
  return readHolder.heraldReadPool;
}

/** Drizzle over the primary's read pool; see `sharedReadPool`. */
export function sharedReadDb(): Db {
  readHolder.heraldReadDb ??= createDb(sharedReadPool());
  return readHolder.heraldReadDb;
}
