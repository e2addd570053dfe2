import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';

export interface Isolated {
  /** Environment for `herald start`: DATABASE_URL of a fresh database, or a fresh HERALD_DATA_DIR. */
  env: Record<string, string>;
  /** The external database's URL; undefined when Herald runs its embedded PostgreSQL. */
  databaseUrl?: string;
  dataDir: string;
  cleanup(): Promise<void>;
}

/**
 * The database a Herald started in `isolated` uses: the external one, or the embedded server it
 * announces on start (its port from the output, its generated password from the data folder).
 */
export async function databaseUrlOf(
  herald: { waitForOutput(pattern: RegExp): Promise<RegExpMatchArray> },
  isolated: Pick<Isolated, 'databaseUrl' | 'dataDir'>,
): Promise<string> {
  if (isolated.databaseUrl) return isolated.databaseUrl;
  const [, port] = await herald.waitForOutput(/embedded PostgreSQL on 127\.0\.0\.1:(\d+)/);
  const password = fs
    .readFileSync(path.join(isolated.dataDir, 'postgres', 'postgres-password'), 'utf8')
    .trim();
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
}

async function onServer(url: string, sql: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query<{ datname: string }>(sql);
  } finally {
    await client.end();
  }
}

function alive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A place for one Herald run that no other test or run can see. With DATABASE_URL set, a new
 * database `herald_e2e_<name>_<pid>` on that server (ones left by killed runs are dropped
 * first); without it, an emptied `.herald/e2e-<name>` for the embedded PostgreSQL.
 */
export async function isolate(name: string): Promise<Isolated> {
  const dataDir = path.join('.herald', `e2e-${name}`);
  fs.rmSync(dataDir, { recursive: true, force: true });
  const server = process.env.DATABASE_URL;
  if (!server) {
    return {
      env: { HERALD_DATA_DIR: dataDir },
      dataDir,
      cleanup: async () => {},
    };
  }
  const { rows } = await onServer(
    server,
    "SELECT datname FROM pg_database WHERE datname LIKE 'herald\\_e2e\\_%'",
  );
  for (const { datname } of rows) {
    const pid = Number(datname.split('_').pop());
    if (!alive(pid)) await onServer(server, `DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
  }
  const database = `herald_e2e_${name}_${process.pid}`;
  await onServer(server, `CREATE DATABASE ${database}`);
  const url = new URL(server);
  url.pathname = `/${database}`;
  return {
    env: { DATABASE_URL: url.toString(), HERALD_DATA_DIR: dataDir },
    databaseUrl: url.toString(),
    dataDir,
    cleanup: async () => {
      await onServer(server, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    },
  };
}
