import pg from 'pg';
import type { ClassifiedFailure } from '../lib/subscriptions/errors';

/**
 * The worker's side of the SQL contract: each function calls one of the herald delivery functions
 * (the same ones a consumer in another language calls; the migration holding each one's current
 * body is listed in docs/ARCHITECTURE.md). Raw `pg` here, not Drizzle: these run thousands of
 * times a second.
 */

export interface ClaimedRow {
  deliveryId: number;
  subscription: string;
  attempt: number;
  manual: boolean;
  eventId: number;
  channel: string;
  payload: unknown;
  key: string | null;
  /**
   * As PostgreSQL printed it: parsed only when a handler reads `publishedAt`. Parsing every
   * row's timestamp at claim time was a tenth of the worker's CPU per delivery.
   */
  publishedAtText: string;
  /** A rate-limited subscription's send slot, epoch ms on the database's clock; else null. */
  sendAtMs: number | null;
  /** The database's clock during the claim (epoch ms), with sendAtMs. */
  dbNowMs: number | null;
  /** The delivery's run_at, epoch ms on the database's clock: for the claim floor (worker/claim-floor.ts). */
  runAtMs: number;
  /** The send slot's window on this process's clock, set when the claim arrives (worker/send-slot.ts). */
  sendAt?: number;
  sendBy?: number;
}

const parseTimestamptz: (text: string) => Date = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ);

export function publishedAtOf(row: ClaimedRow): Date {
  return parseTimestamptz(row.publishedAtText);
}

export interface Success {
  row: ClaimedRow;
  /** Epoch milliseconds (Date.now()): cheaper to take and to send than a Date. */
  startedAt: number;
  result: unknown;
}

export interface Failure {
  row: ClaimedRow;
  /** Epoch milliseconds; null when the handler never ran (shutdown). */
  startedAt: number | null;
  failure: ClassifiedFailure;
}

/** `{1,2,3}`: integers need no quoting in an array literal. */
export function numbersLiteral(values: readonly number[]): string {
  return `{${values.join(',')}}`;
}

export function booleansLiteral(values: readonly boolean[]): string {
  return `{${values.map((v) => (v ? 't' : 'f')).join(',')}}`;
}

/** Every element quoted (backslashes and quotes escaped), NULL unquoted. */
export function textsLiteral(values: readonly (string | null)[]): string {
  return `{${values.map((v) => (v === null ? 'NULL' : `"${v.replace(/[\\"]/g, '\\$&')}"`)).join(',')}}`;
}

/**
 * PostgreSQL stores neither the NUL character (in text or jsonb) nor a lone UTF-16 surrogate (in
 * jsonb), and a provider's answer or error may hold either. Sent as they are, one such outcome
 * would fail its whole batch on every retry and hold up every outcome behind it; they are
 * stored as U+FFFD instead. In JSON.stringify's output both appear only as \u escapes (a
 * surrogate pair is written as itself); an escaped backslash before "u0000" is text, kept.
 */
const UNSTORABLE_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/gi;

export function storableJson(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const text = JSON.stringify(value);
  return text.includes('\\u') ? text.replace(UNSTORABLE_ESCAPE, '$1\\ufffd') : text;
}

export function storableText(value: string): string;
export function storableText(value: string | null): string | null;
export function storableText(value: string | null): string | null {
  return value?.includes('\u0000') ? value.replaceAll('\u0000', '\ufffd') : value;
}

export interface FailResult {
  outcome: 'failed' | 'dead';
  /** Null for a failure held by an open circuit: it runs when the circuit lets it through. */
  nextRunAt: Date | null;
}

type Queryable = Pick<pg.Pool, 'query'>;

export async function claim(
  db: Queryable,
  worker: string,
  subscriptions: string[],
  limits: number[],
  floorsMs: (number | null)[],
): Promise<ClaimedRow[]> {
  const { rows } = await db.query({
    name: 'herald_claim',
    text: `SELECT delivery_id AS "deliveryId", subscription, attempt, manual, event_id AS "eventId",
                  channel, payload, key, published_at::text AS "publishedAtText",
                  send_at_ms AS "sendAtMs", db_now_ms AS "dbNowMs", run_at_ms AS "runAtMs"
           FROM herald.claim_many($1, $2, $3, $4)`,
    values: [worker, subscriptions, limits, floorsMs],
  });
  return rows;
}

/**
 * The run_at (epoch ms) of the oldest pending delivery of `subscription` below `floorMs`, or
 * null: the claim floor's probe (worker/claim-floor.ts). A read through deliveries_runnable.
 */
export async function oldestPendingBelow(
  db: Queryable,
  subscription: string,
  floorMs: number,
): Promise<number | null> {
  const { rows } = await db.query<{ run_at_ms: number }>({
    name: 'herald_oldest_pending_below',
    text: `SELECT extract(epoch FROM d.run_at)::float8 * 1000 AS run_at_ms
           FROM herald.deliveries d
           WHERE d.subscription = $1 AND d.state = 'pending' AND d.run_at < to_timestamp($2::float8 / 1000)
           ORDER BY d.run_at, d.id
           LIMIT 1`,
    values: [subscription, floorMs],
  });
  return rows[0]?.run_at_ms ?? null;
}

export async function completeMany(db: Queryable, worker: string, done: Success[]): Promise<Set<number>> {
  if (done.length === 0) return new Set();
  const { rows } = await db.query<{ delivery_id: number }>({
    name: 'herald_complete',
    // Start times travel as epoch milliseconds: formatting a Date as text for every delivery
    // cost more than PostgreSQL's to_timestamp.
    text: `SELECT delivery_id FROM herald.complete_many($1, $2, $3,
             ARRAY(SELECT to_timestamp(ms / 1000) FROM unnest($4::float8[]) WITH ORDINALITY u(ms, i) ORDER BY i),
             $5::jsonb[], $6)`,
    // Array literals written here rather than by pg, whose generic per-element conversion
    // (and the Date formatting before it) showed up in the worker's profile.
    values: [
      worker,
      numbersLiteral(done.map((d) => d.row.deliveryId)),
      numbersLiteral(done.map((d) => d.row.attempt)),
      numbersLiteral(done.map((d) => d.startedAt)),
      textsLiteral(done.map((d) => storableJson(d.result))),
      // As claimed: saves complete_many reading each delivery again for it.
      booleansLiteral(done.map((d) => d.row.manual)),
    ],
  });
  return new Set(rows.map((r) => r.delivery_id));
}

export async function failMany(
  db: Queryable,
  worker: string,
  failed: Failure[],
): Promise<Map<number, FailResult>> {
  if (failed.length === 0) return new Map();
  const { rows } = await db.query<{
    delivery_id: number;
    outcome: 'failed' | 'dead';
    next_run_at: Date | null;
  }>({
    name: 'herald_fail',
    text: 'SELECT delivery_id, outcome, next_run_at FROM herald.fail_many($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb[], $11)',
    values: [
      worker,
      failed.map((f) => f.row.deliveryId),
      failed.map((f) => f.row.attempt),
      failed.map((f) => (f.startedAt === null ? null : new Date(f.startedAt))),
      failed.map((f) => storableText(f.failure.error)),
      failed.map((f) => storableText(f.failure.stack)),
      failed.map((f) => storableText(f.failure.code)),
      failed.map((f) => f.failure.retryAfterMs),
      failed.map((f) => f.failure.permanent),
      failed.map((f) => storableJson(f.failure.result)),
      // Provider-side failures, for the subscription's circuit breaker (fail_many.sql).
      failed.map((f) => f.failure.unavailable),
    ],
  });
  return new Map(rows.map((r) => [r.delivery_id, { outcome: r.outcome, nextRunAt: r.next_run_at }]));
}

export async function heartbeat(db: Queryable, worker: string, ids: number[]): Promise<Set<number>> {
  const { rows } = await db.query<{ delivery_id: number }>(
    'SELECT delivery_id FROM herald.heartbeat($1, $2)',
    [worker, ids],
  );
  return new Set(rows.map((r) => r.delivery_id));
}

export async function release(db: Queryable, worker: string, rows: ClaimedRow[]): Promise<number> {
  const result = await db.query<{ n: number }>('SELECT herald.release($1, $2, $3) AS n', [
    worker,
    rows.map((r) => r.deliveryId),
    rows.map((r) => r.attempt),
  ]);
  return result.rows[0]?.n ?? 0;
}

export async function rescueExpired(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT herald.rescue_expired(1000) AS n');
  return rows[0]?.n ?? 0;
}

export async function registerWorker(db: Queryable, worker: string, subscriptions: string[]) {
  const [hostname, pid] = [process.env.HOSTNAME || (await import('node:os')).hostname(), process.pid];
  await db.query('SELECT herald.register_worker($1, $2, $3, $4)', [worker, hostname, pid, subscriptions]);
}

export async function setWaiting(db: Queryable, worker: string, waiting: boolean) {
  await db.query('SELECT herald.set_worker_waiting($1, $2)', [worker, waiting]);
}

export async function unregisterWorker(db: Queryable, worker: string) {
  await db.query('DELETE FROM herald.workers WHERE id = $1', [worker]);
}

export async function reportListenerReconnects(db: Queryable, worker: string, reconnects: number) {
  await db.query('SELECT herald.report_listener_reconnects($1, $2)', [worker, reconnects]);
}
