import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

/**
 * The files under sql/ against a database's catalog (sql/README.md). Both the drift test
 * (test/sql-drift.test.ts) and the migration generator (scripts/sql/generate-migration.ts) ask
 * the same question: what would running each file change in a database migrated from drizzle/?
 * The files are applied inside a transaction that is rolled back, and the catalog is compared
 * before and after each one, so the server itself normalises: formatting and comments outside a
 * body do not count; signature, result, language, volatility, security, strictness, parallel
 * safety, cost, SET clauses (in any order), body, trigger and view definitions do.
 */

export const sqlFolder = fileURLToPath(new URL('../../sql', import.meta.url));

/** Folder → kind of object; files are applied in this order (triggers need their functions). */
const KINDS = [
  ['functions', 'function'],
  ['views', 'view'],
  ['triggers', 'trigger'],
] as const;

export type ObjectKind = (typeof KINDS)[number][1];

export interface SqlFile {
  /** Path below sql/, e.g. `functions/claim_many.sql`. */
  path: string;
  kind: ObjectKind;
  /** The object it defines: the file name (function and view in schema herald, trigger by name). */
  name: string;
  text: string;
}

/** Every definition file, in the order they are applied. */
export function readSqlFiles(folder = sqlFolder): SqlFile[] {
  const files: SqlFile[] = [];
  for (const [dir, kind] of KINDS) {
    const full = path.join(folder, dir);
    if (!fs.existsSync(full)) continue;
    for (const entry of fs.readdirSync(full).sort()) {
      if (!entry.endsWith('.sql')) continue;
      const text = fs.readFileSync(path.join(full, entry), 'utf8');
      files.push({ path: `${dir}/${entry}`, kind, name: entry.slice(0, -'.sql'.length), text });
    }
  }
  return files;
}

/** One object as the catalog describes it. */
export interface Definition {
  kind: ObjectKind;
  /** The file that must define it: functions/<name>.sql, views/<name>.sql, triggers/<name>.sql. */
  file: string;
  /** For DROP FUNCTION: `herald.name(argtypes)`. */
  signature: string;
  text: string;
}

/** Keyed by `function herald.f(int)`, `view herald.v`, `trigger t on herald.tbl`. */
export type Catalog = Map<string, Definition>;

// pg_get_functiondef writes each SET on a line of its own, in proconfig's order; the settings are
// compared as a sorted list instead, so the order of SET clauses in a file does not matter.
const CATALOG_SQL = `
  SELECT 'function' AS kind, p.proname AS name, p.oid::regprocedure::text AS signature,
         CASE WHEN p.prokind = 'a' THEN
           (SELECT format('aggregate %s: sfunc %s, stype %s, initcond %L, finalfunc %s, combinefunc %s, kind %s',
                          pg_get_function_arguments(p.oid), a.aggtransfn::regprocedure, a.aggtranstype::regtype,
                          a.agginitval, a.aggfinalfn, a.aggcombinefn, a.aggkind)
              FROM pg_aggregate a WHERE a.aggfnoid = p.oid)
         ELSE pg_get_functiondef(p.oid) END AS text,
         coalesce((SELECT string_agg(c, E'\\n' ORDER BY c) FROM unnest(p.proconfig) c), '') AS settings
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname = 'herald'
  UNION ALL
  SELECT 'view', c.relname, c.oid::regclass::text,
         pg_get_viewdef(c.oid, true) || E'\\ncolumns: ' ||
           (SELECT string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)), ', ' ORDER BY a.attnum)
              FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
         coalesce(array_to_string(c.reloptions, E'\\n'), '')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'herald' AND c.relkind IN ('v', 'm')
  UNION ALL
  SELECT 'trigger', t.tgname, t.tgname || ' on ' || t.tgrelid::regclass::text,
         pg_get_triggerdef(t.oid), 'enabled: ' || t.tgenabled::text
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'herald' AND NOT t.tgisinternal`;

const FOLDER_OF: Record<ObjectKind, string> = { function: 'functions', view: 'views', trigger: 'triggers' };

/** Herald's functions, views and triggers as the connected database has them. */
export async function readCatalog(client: pg.ClientBase): Promise<Catalog> {
  const { rows } = await client.query<{
    kind: ObjectKind;
    name: string;
    signature: string;
    text: string;
    settings: string;
  }>(CATALOG_SQL);
  const catalog: Catalog = new Map();
  for (const r of rows) {
    // Only the header's SET lines: the body (after the line `AS $function$`) stays as written.
    const lines = r.text.split('\n');
    const bodyStart = lines.findIndex((line) => line.startsWith('AS '));
    const body = lines.filter((line, i) => !(i < bodyStart && line.startsWith(' SET '))).join('\n');
    const key = r.kind === 'trigger' ? `trigger ${r.signature}` : `${r.kind} ${r.signature}`;
    catalog.set(key, {
      kind: r.kind,
      file: `${FOLDER_OF[r.kind]}/${r.name}.sql`,
      signature: r.signature,
      text: `${body}\n-- settings:\n${r.settings}`,
    });
  }
  return catalog;
}

/** What running one file changed in a migrated database. */
export interface FileChange {
  file: SqlFile;
  /** Objects the file created or whose definition it changed: [key, before or undefined, after]. */
  changed: [string, Definition | undefined, Definition][];
  /** Overloads of the file's function that the file replaced by another signature: drop them. */
  stale: string[];
  /** Set when CREATE OR REPLACE could not change the function in place (its result type or
   *  argument names changed): the migration drops it first. */
  dropFirst: string[];
}

export interface Drift {
  /** Files whose definition differs from the migrated one (or whose object is new). */
  changes: FileChange[];
  /** Objects in the database that no file under sql/ defines. */
  withoutFile: string[];
  /** Files whose object does not exist once the file has run (a misnamed file). */
  withoutObject: string[];
}

const PG_INVALID_FUNCTION_DEFINITION = '42P13';

/**
 * Runs every file inside a transaction on `client` (a database migrated from drizzle/) and
 * rolls it back. Nothing is left behind, so the caller may keep using the database.
 */
export async function compareWithFiles(client: pg.ClientBase, files: SqlFile[]): Promise<Drift> {
  const changes: FileChange[] = [];
  const withoutObject: string[] = [];
  await client.query('BEGIN');
  try {
    const migrated = await readCatalog(client);
    let before = migrated;
    for (const file of files) {
      const dropFirst: string[] = [];
      await client.query('SAVEPOINT sql_file');
      try {
        await client.query(file.text);
      } catch (error) {
        if (
          (error as { code?: string }).code !== PG_INVALID_FUNCTION_DEFINITION ||
          file.kind !== 'function'
        ) {
          throw new Error(`sql/${file.path}: ${(error as Error).message}`, { cause: error });
        }
        await client.query('ROLLBACK TO SAVEPOINT sql_file');
        const replaced = [...before].filter(([, d]) => d.file === file.path);
        for (const [, d] of replaced) {
          await client.query(`DROP FUNCTION ${d.signature}`);
          dropFirst.push(d.signature);
        }
        before = new Map([...before].filter(([, d]) => d.file !== file.path));
        await client.query(file.text);
      }
      const after = await readCatalog(client);
      const changed: FileChange['changed'] = [];
      for (const [key, d] of after) {
        const old = before.get(key);
        if (old?.text !== d.text) changed.push([key, old, d]);
      }
      // A function file names one function; other signatures of that name it did not just
      // (re)define are left over from before.
      const stale =
        file.kind === 'function' && changed.some(([, old]) => !old)
          ? [...after]
              .filter(([k, d]) => d.file === file.path && !changed.some(([c]) => c === k))
              .map(([, d]) => d.signature)
          : [];
      for (const signature of stale) await client.query(`DROP FUNCTION ${signature}`);
      if (![...after.values()].some((d) => d.file === file.path)) withoutObject.push(file.path);
      if (changed.length > 0 || stale.length > 0 || dropFirst.length > 0) {
        changes.push({ file, changed, stale, dropFirst });
      }
      before = stale.length > 0 ? await readCatalog(client) : after;
    }
    const covered = new Set(files.map((f) => f.path));
    const withoutFile = [...migrated]
      .filter(([, d]) => !covered.has(d.file))
      .map(([key, d]) => `${key} (expected in sql/${d.file})`);
    return { changes, withoutFile, withoutObject };
  } finally {
    await client.query('ROLLBACK');
  }
}

/** A readable account of a drift, for a test failure or the generator's output. */
export function describeDrift(drift: Drift): string[] {
  const lines: string[] = [];
  for (const c of drift.changes) {
    for (const [key, old, now] of c.changed) {
      lines.push(old ? `sql/${c.file.path} changes ${key}` : `sql/${c.file.path} creates ${key}`);
      if (old) lines.push(...firstDifference(old.text, now.text));
    }
    for (const s of c.stale) lines.push(`sql/${c.file.path} replaces ${s} (dropped)`);
    for (const s of c.dropFirst)
      lines.push(`sql/${c.file.path} cannot replace ${s} in place (dropped first)`);
  }
  for (const w of drift.withoutFile) lines.push(`no file for ${w}`);
  for (const w of drift.withoutObject) lines.push(`sql/${w} defines nothing of that name`);
  return lines;
}

function firstDifference(a: string, b: string): string[] {
  const x = a.split('\n');
  const y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] !== y[i])
      return [`    migrated: ${x[i] ?? '(nothing)'}`, `    sql/:     ${y[i] ?? '(nothing)'}`];
  }
  return [];
}
