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
}

export function createPool(url: string, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    keepAlive: true,
    application_name: options.applicationName ?? 'herald',
    connectionTimeoutMillis: 10_000,
    query_timeout: options.queryTimeoutMs,
  });
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
