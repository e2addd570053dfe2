import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';

export const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

// An arbitrary constant shared by every Herald process: whoever holds it migrates, the
// others wait and then find nothing left to do.
const MIGRATION_LOCK = 7_244_211_901;

/**
 * Applies pending migrations under a session-level advisory lock, so that two processes
 * starting together never race on the same DDL.
 */
export async function migrateDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, application_name: 'herald-migrate' });
  await client.connect();
  try {
    // Silence NOTICEs such as "schema herald already exists, skipping".
    await client.query("SET client_min_messages = 'warning'");
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await migrate(drizzle({ client }), {
        migrationsFolder,
        migrationsSchema: 'herald',
        migrationsTable: '__drizzle_migrations',
      });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    await client.end();
  }
}
