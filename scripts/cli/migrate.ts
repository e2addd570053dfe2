import type { Config } from '../../lib/config';
import { migrateDatabase } from '../../lib/db/migrate';
import { openDatabase } from './database';
import { CliError, describeError } from './errors';

/**
 * `npm run db:migrate`: applies pending migrations to DATABASE_URL, or to the embedded server
 * (started for the occasion and stopped again). Safe to run concurrently with other Herald
 * processes: migrateDatabase holds an advisory lock.
 */
export async function migrate(cfg: Config): Promise<void> {
  const db = await openDatabase(cfg);
  try {
    await migrateDatabase(db.url);
  } catch (error) {
    throw new CliError(`migrations failed: ${describeError(error)}`);
  } finally {
    await db.stop();
  }
  process.stdout.write(`[herald] migrations applied (${db.description})\n`);
}
