import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import pino from 'pino';
import { startEmbeddedPostgres } from '../lib/embedded/postgres';
import type { Logger } from '../lib/log';

/**
 * Shared plumbing of the benchmarks: one PostgreSQL server (DATABASE_URL or a fresh embedded
 * one), a fresh database per system on it, timing statistics and the printed report.
 */

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** Benchmarks talk to loopback only: a typo in DATABASE_URL must not load someone's server. */
function assertLoopback(url: string) {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host))
    throw new Error(`benchmarks only run against 127.0.0.1 (DATABASE_URL points at ${host})`);
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export interface Server {
  /** Connection string of the server's maintenance database. */
  url: string;
  label: string;
  version: string;
  /** Creates a database that `close()` drops again. */
  createDatabase(suffix: string): Promise<string>;
  /** Drops a database created by `createDatabase` before `close()`. */
  dropDatabase(url: string): Promise<void>;
  close(): Promise<void>;
}

/** One statement on its own short connection (the maintenance database, the WAL position). */
export async function adminQuery<T extends pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, application_name: 'herald-bench-admin' });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/**
 * Opens the server the run measures. Everything the run creates is dropped by `close()`, which
 * also runs on Ctrl-C so an interrupted run leaves no databases (or embedded server) behind.
 */
export async function openServer(): Promise<Server> {
  const given = process.env.DATABASE_URL?.trim();
  let url: string;
  let label: string;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (given) {
    assertLoopback(given);
    url = given;
    label = 'DATABASE_URL';
  } else {
    const embedded = await startEmbeddedPostgres({ dir: path.join(repoRoot, '.herald', 'bench-postgres') });
    url = embedded.url;
    label = 'embedded';
    stopEmbedded = () => embedded.stop();
  }
  const [row] = await adminQuery<{ v: string }>(url, "SELECT current_setting('server_version') AS v");
  const runId = `${process.pid.toString(36)}${randomBytes(3).toString('hex')}`;
  const created = new Set<string>();

  const drop = async (name: string) => {
    await adminQuery(url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    created.delete(name);
  };

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      for (const name of [...created]) await drop(name).catch(() => {});
      await stopEmbedded?.();
    })();
    return closing;
  };
  const onSignal = () => {
    void close().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  return {
    url,
    label,
    version: row?.v ?? '?',
    async createDatabase(suffix) {
      const name = `herald_bench_${runId}_${suffix}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
      await adminQuery(url, `CREATE DATABASE ${name}`);
      created.add(name);
      return withDatabase(url, name);
    },
    async dropDatabase(dbUrl) {
      await drop(new URL(dbUrl).pathname.slice(1));
    },
    close,
  };
}

/** Herald's worker logs every outcome; the benchmark measures the engine, not log I/O. */
export const silentLog: Logger = pino({ level: 'silent' });

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `done` every few ms; false after the timeout so a stuck system fails its row, not the run. */
export async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) return false;
    await sleep(2);
  }
  return true;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function fmt(value: number | undefined, digits = 0): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `--name value` or `--name=value`; the benchmarks have few flags, so no parser dependency. */
export function flag(name: string): string | undefined {
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === `--${name}`) return args[i + 1];
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}

export function numberFlag(name: string, fallback: number): number {
  const raw = flag(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

/** CPU time this Node process used, as a share of one core: tells whether the client was the limit. */
export function cpuMeter() {
  const start = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000 / (performance.now() - t0);
  };
}

/**
 * CPU time used so far by every PostgreSQL process on this machine (backends, WAL writer,
 * checkpointer, autovacuum), in microseconds, from /proc. Benchmarks run against a server on
 * loopback, so this is the database's side of a measurement. Processes that exit between two
 * readings take their time with them (short admin connections; negligible). NaN where /proc
 * cannot be read (not Linux, or the server belongs to a user we cannot inspect).
 */
export function serverCpuMicros(): number {
  const ticksPerSecond = 100; // USER_HZ, 100 on every Linux ABI Node supports
  let ticks = 0;
  let seen = 0;
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue; // exited while we listed
      }
      const close = stat.lastIndexOf(')');
      if (!stat.slice(stat.indexOf('(') + 1, close).startsWith('postgres')) continue;
      // Fields after "(comm) ": state is field 3; utime and stime are fields 14 and 15.
      const fields = stat.slice(close + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
      seen++;
    }
  } catch {
    return Number.NaN;
  }
  return seen === 0 ? Number.NaN : (ticks / ticksPerSecond) * 1e6;
}
