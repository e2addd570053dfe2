import type { Config } from '../../lib/config';
import { createDb, createPool, type Db } from '../../lib/db/client';
import { openDatabase } from './database';
import { CliError } from './errors';

/**
 * The database for one-shot tool commands (api-key, replay, stats): DATABASE_URL, or the
 * embedded server when Herald is not running (its data folder is locked while it runs).
 * Migrations are never applied behind the operator's back: a missing table says so.
 */
export async function withToolDatabase<T>(cfg: Config, run: (db: Db) => Promise<T>): Promise<T> {
  const database = await openDatabase(cfg);
  const pool = createPool(database.url, { max: 2, applicationName: 'herald-cli' });
  try {
    return await run(createDb(pool));
  } catch (error) {
    const code =
      (error as { code?: string; cause?: { code?: string } }).cause?.code ??
      (error as { code?: string }).code;
    if (code === '42P01') throw new CliError('the database is not migrated: run `herald migrate` first');
    throw error;
  } finally {
    await pool.end();
    await database.stop();
  }
}
