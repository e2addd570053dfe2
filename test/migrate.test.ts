import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { migrationsFolder } from '../lib/db/migrate';
import { withDatabase } from './global-setup';
import { runCli } from './helpers/cli';
import { createTestDatabase } from './helpers/db';

const serverUrl = inject('serverUrl');
const template = inject('templateDatabase');
const name = `herald_t_${template.replace('herald_template_', '')}_migrate`;
const url = withDatabase(serverUrl, name);

async function onServer<T>(dbUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Herald's tables, functions and triggers: what "the schema is complete" means. */
function schemaObjects(dbUrl: string) {
  return onServer(dbUrl, async (c) => {
    const { rows } = await c.query<{ kind: string; name: string }>(`
      SELECT 'table' AS kind, tablename AS name FROM pg_tables WHERE schemaname = 'herald'
      UNION ALL
      SELECT 'function', p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'herald'
      UNION ALL
      SELECT 'trigger', t.tgname FROM pg_trigger t JOIN pg_class r ON r.oid = t.tgrelid
        JOIN pg_namespace n ON n.oid = r.relnamespace WHERE n.nspname = 'herald' AND NOT t.tgisinternal
      UNION ALL
      SELECT 'index', indexname FROM pg_indexes WHERE schemaname = 'herald'
      ORDER BY 1, 2`);
    return rows.map((r) => `${r.kind} ${r.name}`);
  });
}

beforeAll(async () => {
  // A truly empty database, not a clone of the migrated template.
  await onServer(serverUrl, (c) => c.query(`CREATE DATABASE ${name}`));
});

afterAll(async () => {
  await onServer(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
});

test('two db:migrate started at the same moment both succeed and leave the complete schema', async () => {
  const env = { DATABASE_URL: url };
  const [a, b] = await Promise.all([runCli(['migrate'], env), runCli(['migrate'], env)]);
  expect(a.stderr).toBe('');
  expect(b.stderr).toBe('');
  expect([a.code, b.code]).toEqual([0, 0]);

  const journal = JSON.parse(
    fs.readFileSync(path.join(migrationsFolder, 'meta', '_journal.json'), 'utf8'),
  ) as {
    entries: unknown[];
  };
  const applied = await onServer(url, (c) =>
    c.query<{ n: number }>('SELECT count(*)::int AS n FROM herald.__drizzle_migrations'),
  );
  // Each migration recorded exactly once: the loser of the race found nothing left to do.
  expect(applied.rows[0]?.n).toBe(journal.entries.length);
  // Same objects as a database migrated in-process by the test setup (cloned: connecting to the
  // template itself would block other files from cloning it).
  const reference = await createTestDatabase();
  try {
    const objects = await schemaObjects(url);
    expect(objects).toContain('table deliveries');
    expect(objects).toEqual(await schemaObjects(reference.url));
  } finally {
    await reference.drop();
  }
});
