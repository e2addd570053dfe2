import path from 'node:path';
import pg from 'pg';
import type { Config } from '../../lib/config';
import { startEmbeddedPostgres } from '../../lib/embedded/postgres';
import { CliError, describeError, redactUrl } from './errors';
import { lockDataDir } from './lock';

export interface Database {
  url: string;
  /** Where it runs, for the start-up banner (no password). */
  description: string;
  /** Process id of the embedded server; undefined when DATABASE_URL points elsewhere. */
  embeddedPid?: number;
  stop(): Promise<void>;
}

/** Connect once, so a wrong DATABASE_URL fails here with one line instead of in three processes. */
export async function checkDatabaseUrl(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => {}); // a server going away after the check is not our concern here
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new CliError(`cannot connect to DATABASE_URL ${redactUrl(url)}: ${describeError(error)}`);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * DATABASE_URL when it is set (checked, never started or stopped by us); otherwise an embedded
 * PostgreSQL with its data in `<HERALD_DATA_DIR>/postgres`, reused by the next start.
 */
export async function openDatabase(cfg: Config): Promise<Database> {
  if (cfg.DATABASE_URL) {
    await checkDatabaseUrl(cfg.DATABASE_URL);
    return {
      url: cfg.DATABASE_URL,
      description: `PostgreSQL at ${redactUrl(cfg.DATABASE_URL)}`,
      stop: async () => {},
    };
  }
  const unlock = lockDataDir(cfg.HERALD_DATA_DIR);
  const dir = path.join(cfg.HERALD_DATA_DIR, 'postgres');
  try {
    const server = await startEmbeddedPostgres({ dir });
    return {
      url: server.url,
      description: `embedded PostgreSQL on 127.0.0.1:${server.port} (pid ${server.pid}), data in ${dir}`,
      embeddedPid: server.pid,
      async stop() {
        await server.stop();
        unlock();
      },
    };
  } catch (error) {
    unlock();
    throw new CliError(
      `embedded PostgreSQL failed to start: ${describeError(error)} (log: ${path.join(dir, 'postgres.log')})`,
    );
  }
}
