import fs from 'node:fs';
import pg from 'pg';
import { createDb, createPool, type Db } from '../../lib/db/client';
import { migrateDatabase } from '../../lib/db/migrate';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../../lib/embedded/postgres';
import { onExit } from './cleanup';

/**
 * The suite's own embedded PostgreSQL: it must restart it, which a shared server must never be.
 * Every scenario gets a fresh database cloned from one migrated template.
 */
export interface ScenarioDb {
  name: string;
  url: string;
  /** For the ledger and fault injection; shows as `chaos-ledger`, so it is never a fault target. */
  pool: pg.Pool;
  db: Db;
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

export interface ChaosServer {
  readonly url: string;
  readonly port: number;
  createDatabase(label: string): Promise<ScenarioDb>;
  /** Stop and start PostgreSQL on the same port; resolves with how long it was down. */
  restart(): Promise<number>;
  stop(): Promise<void>;
}

const TEMPLATE = 'herald_chaos_template';

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function admin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url, application_name: 'chaos-ledger' });
  c.on('error', () => {});
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => {});
  }
}

export async function startChaosServer(): Promise<ChaosServer> {
  const dir = `.herald/chaos-${process.pid}`;
  fs.rmSync(dir, { recursive: true, force: true });
  let pgServer: EmbeddedPostgres = await startEmbeddedPostgres({ dir });
  // Also when the run dies half-way: an immediate shutdown of the server we started.
  const unregister = onExit(() => {
    try {
      process.kill(pgServer.pid, 'SIGQUIT');
    } catch {}
  });
  const baseUrl = pgServer.url;
  await admin(baseUrl, (c) => c.query(`CREATE DATABASE ${TEMPLATE}`));
  const templateUrl = withDatabase(baseUrl, TEMPLATE);
  await migrateDatabase(templateUrl);
  await admin(templateUrl, (c) =>
    c.query(`CREATE TABLE public.test_runs (
      delivery_id bigint NOT NULL, attempt int NOT NULL, pid int NOT NULL, n int,
      at timestamptz NOT NULL DEFAULT clock_timestamp())`),
  );
  let counter = 0;

  return {
    url: baseUrl,
    port: pgServer.port,
    async createDatabase(label) {
      const name = `chaos_${label.replace(/[^a-z0-9]/g, '_')}_${++counter}`;
      await admin(baseUrl, (c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE}`));
      const url = withDatabase(baseUrl, name);
      const pool = createPool(url, { max: 4, applicationName: 'chaos-ledger', queryTimeoutMs: 60_000 });
      return {
        name,
        url,
        pool,
        db: createDb(pool),
        async query(text, values) {
          return (await pool.query(text, values)).rows;
        },
        async drop() {
          await pool.end().catch(() => {});
          await admin(baseUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
        },
      };
    },
    async restart() {
      const down = Date.now();
      const port = pgServer.port;
      await pgServer.stop();
      pgServer = await startEmbeddedPostgres({ dir, port });
      return Date.now() - down;
    },
    async stop() {
      await pgServer.stop();
      unregister();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
