import fs from 'node:fs';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrateDatabase } from '../lib/db/migrate';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../lib/embedded/postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A connection string to the server, with rights to create databases. */
    serverUrl: string;
    /** A migrated database to clone (CREATE DATABASE … TEMPLATE). */
    templateDatabase: string;
  }
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * Integration tests run against a real PostgreSQL: DATABASE_URL's server when it is set, else an
 * embedded one started here. One migrated template database is made per run; each test file
 * clones it (cheap), so files are isolated and run in parallel.
 */
export default async function setup(project: TestProject) {
  let embedded: EmbeddedPostgres | undefined;
  let embeddedDir: string | undefined;
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    // A cluster of this run's own (initdb takes ~2 s), so concurrent test runs never collide.
    embeddedDir = `.herald/test-postgres-${process.pid}`;
    embedded = await startEmbeddedPostgres({ dir: embeddedDir });
    serverUrl = embedded.url;
  }
  const template = `herald_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${template}`);
  await admin.query(`CREATE DATABASE ${template}`);
  const templateUrl = withDatabase(serverUrl, template);
  await migrateDatabase(templateUrl);
  // The test handlers record every run here, so tests can count runs per delivery.
  const t = new pg.Client({ connectionString: templateUrl });
  await t.connect();
  await t.query(`CREATE TABLE public.test_runs (
    delivery_id bigint NOT NULL, attempt int NOT NULL, pid int NOT NULL, n int,
    at timestamptz NOT NULL DEFAULT clock_timestamp())`);
  await t.end();
  project.provide('serverUrl', serverUrl);
  project.provide('templateDatabase', template);

  return async () => {
    // Drop what this run created, even databases a killed test left connections to.
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE $1 OR datname = $2`,
      [`herald_t_${process.pid}_%`, template],
    );
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    await admin.end();
    await embedded?.stop();
    if (embeddedDir) fs.rmSync(embeddedDir, { recursive: true, force: true });
  };
}
