import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareWithFiles, describeDrift, readSqlFiles, type SqlFile } from '../scripts/sql/definitions';
import { createTestDatabase, type TestDatabase } from './helpers/db';

// sql/ holds the current definition of every function, trigger and view (sql/README.md); the
// migrations in drizzle/ are what databases actually ran. This test runs every file against a
// database migrated from drizzle/ (inside a transaction it rolls back) and fails on any
// difference the server sees: a file edited without `npm run db:sql`, a migration written by
// hand without its file, an object without a file.

let db: TestDatabase;
let client: pg.PoolClient;

beforeAll(async () => {
  db = await createTestDatabase();
  client = await db.pool.connect();
});

afterAll(async () => {
  client?.release();
  await db?.drop();
});

const files = readSqlFiles();

/** The files with one of them edited as `edit` says (which must change its text). */
function withEdit(path: string, edit: (text: string) => string): SqlFile[] {
  const file = files.find((f) => f.path === path);
  if (!file) throw new Error(`no sql/${path}`);
  const text = edit(file.text);
  expect(text, `the edit of ${path} changes nothing`).not.toBe(file.text);
  return files.map((f) => (f === file ? { ...f, text } : f));
}

async function driftOf(edited: SqlFile[]): Promise<string[]> {
  return describeDrift(await compareWithFiles(client, edited));
}

describe('sql/ and the migrations', () => {
  it('define every function, trigger and view of schema herald the same way', async () => {
    expect(files.length).toBeGreaterThan(30);
    expect(await driftOf(files)).toEqual([]);
  });

  it('compare definitions, not text: comments and layout outside a body do not count', async () => {
    const edited = withEdit('functions/claim_many.sql', (t) =>
      `-- a comment that no migration has\n${t}`
        .replace('LANGUAGE plpgsql\nSET jit = off', 'LANGUAGE   plpgsql   SET jit=off')
        // the same settings in another order
        .replace(
          'SET enable_hashjoin = off SET enable_mergejoin = off',
          'SET enable_mergejoin = off SET enable_hashjoin = off',
        ),
    );
    expect(await driftOf(edited)).toEqual([]);
  });
});

describe('a file edited without a migration is drift', () => {
  const cases: [string, string, (text: string) => string, string][] = [
    [
      'a retry rule in a body (the backoff without its jitter)',
      'functions/backoff_ms.sql',
      (t) => t.replace('random()', '0.5'),
      'sql/functions/backoff_ms.sql changes function herald.backoff_ms(',
    ],
    [
      'a body, by as little as a comment inside $$',
      'functions/fail_many.sql',
      (t) => t.replace(/\$\$;\s*$/, () => '-- edited\n$$;'),
      'sql/functions/fail_many.sql changes function herald.fail_many(',
    ],
    [
      'a SET clause left out (what CREATE OR REPLACE does to a forgotten setting)',
      'functions/claim_many.sql',
      (t) => t.replace(/SET jit = off\s*/, ''),
      'sql/functions/claim_many.sql changes function herald.claim_many(',
    ],
    [
      'volatility',
      'functions/backoff_ms.sql',
      (t) => t.replace('LANGUAGE sql VOLATILE', 'LANGUAGE sql STABLE'),
      'sql/functions/backoff_ms.sql changes function herald.backoff_ms(',
    ],
    [
      'security',
      'functions/replay.sql',
      (t) => t.replace('LANGUAGE plpgsql', 'LANGUAGE plpgsql SECURITY DEFINER'),
      'sql/functions/replay.sql changes function herald.replay(',
    ],
    [
      'a trigger condition',
      'triggers/events_fan_out.sql',
      (t) => t.replace("IS DISTINCT FROM 'inline'", "IS DISTINCT FROM 'in-line'"),
      'sql/triggers/events_fan_out.sql changes trigger events_fan_out on herald.events',
    ],
    [
      'a view',
      'views/attempts.sql',
      (t) => t.replace("'succeeded'::text,", "'success'::text,"),
      'sql/views/attempts.sql changes view herald.attempts',
    ],
    [
      'a signature (an argument added)',
      'functions/release.sql',
      (t) => t.replace(/(FUNCTION herald\.release\([^)]*)\)/, '$1, p_drift_test text DEFAULT NULL)'),
      'sql/functions/release.sql replaces herald.release(',
    ],
    [
      'a result type',
      'functions/register_worker.sql',
      (t) =>
        t
          .replace('RETURNS void', 'RETURNS integer')
          .replace(/last_heartbeat_at = now\(\)\n/, '$&  RETURNING 1\n'),
      'sql/functions/register_worker.sql cannot replace herald.register_worker(text,text,integer,text[]) in place',
    ],
  ];

  it.each(cases)('%s', async (_what, path, edit, expected) => {
    const drift = await driftOf(withEdit(path, edit));
    expect(
      drift.some((line) => line.startsWith(expected)),
      drift.join('\n'),
    ).toBe(true);
  });

  it('an object without a file, and a file that defines nothing of its name', async () => {
    const without = files.filter((f) => f.path !== 'functions/wake_workers.sql');
    expect(await driftOf(without)).toContain(
      'no file for function herald.wake_workers() (expected in sql/functions/wake_workers.sql)',
    );
    const misnamed = files.map((f) =>
      f.path === 'functions/histogram.sql'
        ? { ...f, path: 'functions/histograms.sql', name: 'histograms' }
        : f,
    );
    const drift = await driftOf(misnamed);
    expect(drift).toContain('sql/functions/histograms.sql defines nothing of that name');
    expect(drift).toContain(
      'no file for function herald.histogram(double precision[]) (expected in sql/functions/histogram.sql)',
    );
  });

  it('leaves the database as migrated (every comparison is rolled back)', async () => {
    const edited = await driftOf(withEdit('functions/backoff_ms.sql', (t) => t.replace('random()', '0.5')));
    expect(edited).not.toEqual([]);
    expect(await driftOf(files)).toEqual([]);
  });
});
