import { type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../db/client';
import { type DeadFilter, isEmptyFilter, normaliseDeadFilter } from './dead-filter';

/**
 * Manual operations on deliveries. Each is recorded in the audit log with who and why, moves
 * only deliveries in the state it applies to (two operators clicking at once act once), and
 * never erases history: a replay adds attempts after the old ones.
 */
export interface Actor {
  /** `user:ada@example.com`, `api-key:ops-script`, `cli` … */
  actor: string;
  reason?: string;
}

async function single(
  db: Executor,
  fn: 'replay' | 'retry_now' | 'discard',
  id: number,
  who: Actor,
): Promise<boolean> {
  const { rows } = await db.execute<{ ok: boolean }>(
    sql`SELECT herald.${sql.raw(fn)}(${id}, ${who.actor}, ${who.reason ?? null}) AS ok`,
  );
  return rows[0]?.ok === true;
}

/** Dead → pending with a fresh retry budget. False when it was not dead (e.g. already replayed). */
export const replayDelivery = (db: Executor, id: number, who: Actor) => single(db, 'replay', id, who);
/** A delivery waiting for a scheduled retry runs now. False when it was not waiting. */
export const retryDeliveryNow = (db: Executor, id: number, who: Actor) => single(db, 'retry_now', id, who);
/** Pending or dead → discarded, for good. */
export const discardDelivery = (db: Executor, id: number, who: Actor) => single(db, 'discard', id, who);

function where(filter: DeadFilter): SQL {
  const f = normaliseDeadFilter(filter);
  const parts: SQL[] = [sql`d.state = 'dead'`];
  if (f.subscription) parts.push(sql`d.subscription = ${f.subscription}`);
  if (f.channel) parts.push(sql`e.channel = ${f.channel}`);
  if (f.errorContains) parts.push(sql`d.last_error ILIKE ${`%${escapeLike(f.errorContains)}%`}`);
  if (f.since) parts.push(sql`d.finished_at >= ${f.since.toISOString()}`);
  if (f.until) parts.push(sql`d.finished_at < ${f.until.toISOString()}`);
  if (f.ids) parts.push(sql`d.id = ANY(${`{${f.ids.map((i) => Math.trunc(i)).join(',')}}`}::bigint[])`);
  return sql.join(parts, sql` AND `);
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export async function countDead(db: Executor, filter: DeadFilter): Promise<number> {
  const { rows } = await db.execute<{ n: number }>(sql`
    SELECT count(*)::int AS n FROM herald.deliveries d JOIN herald.events e ON e.id = d.event_id
    WHERE ${where(filter)}`);
  return rows[0]?.n ?? 0;
}

export interface BulkResult {
  /** Matching when the action started. */
  matched: number;
  /** Moved by this action. */
  done: number;
  /** Matched at the start but moved by someone else meanwhile. */
  skipped: number;
}

export interface BulkOptions {
  batchSize?: number;
  onProgress?: (done: number, matched: number) => void;
}

/**
 * Applies a bulk action to every dead delivery matching the filter, in short batches (each its
 * own statement, SKIP LOCKED) so workers keep claiming meanwhile. One audit entry records the
 * filter and the count. An empty filter (isEmptyFilter) is refused: "replay everything" must be
 * said explicitly with a time window or a subscription. No permission check: callers are trusted
 * (the CLI, tests); people and API keys come through lib/operations/bulk-dead.ts.
 */
async function bulk(
  db: Executor,
  action: 'replay' | 'discard',
  filter: DeadFilter,
  who: Actor,
  options: BulkOptions = {},
): Promise<BulkResult> {
  filter = normaliseDeadFilter(filter);
  if (isEmptyFilter(filter)) throw new Error('refusing a bulk action with an empty filter');
  const batchSize = options.batchSize ?? 2_000;
  // Only what was dead when the action began: a delivery that dies again after being replayed
  // by this very action must not be picked up a second time. The database's clock decides.
  if (!filter.until) {
    const { rows } = await db.execute<{ now: string }>(sql`SELECT now()::text AS now`);
    filter = { ...filter, until: new Date(rows[0]!.now) };
  }
  const matched = await countDead(db, filter);
  const set =
    action === 'replay'
      ? sql`state = 'pending', run_at = now(), manual_next = true, finished_at = NULL,
            attempts_before_replay = d.attempts, updated_at = now()`
      : sql`state = 'discarded', finished_at = now(), updated_at = now()`;
  let done = 0;
  let cursor = 0;
  for (;;) {
    const { rows } = await db.execute<{ id: number }>(sql`
      WITH batch AS (
        SELECT d.id FROM herald.deliveries d JOIN herald.events e ON e.id = d.event_id
        WHERE ${where(filter)} AND d.id > ${cursor}
        ORDER BY d.id LIMIT ${batchSize}
        FOR UPDATE OF d SKIP LOCKED
      )
      UPDATE herald.deliveries d SET ${set}
      FROM batch WHERE d.id = batch.id AND d.state = 'dead'
      RETURNING d.id`);
    if (rows.length === 0) break;
    done += rows.length;
    cursor = Math.max(cursor, ...rows.map((r) => r.id));
    if (action === 'replay') await db.execute(sql`SELECT herald.wake_workers()`);
    options.onProgress?.(done, matched);
  }
  await db.execute(sql`
    INSERT INTO herald.audit_log (actor, action, target, reason, details)
    VALUES (${who.actor}, ${`delivery.bulk_${action}`}, 'deliveries', ${who.reason ?? null},
            ${JSON.stringify({ filter, matched, done })}::jsonb)`);
  return { matched, done, skipped: Math.max(0, matched - done) };
}

export const replayMatching = (db: Executor, filter: DeadFilter, who: Actor, options?: BulkOptions) =>
  bulk(db, 'replay', filter, who, options);
export const discardMatching = (db: Executor, filter: DeadFilter, who: Actor, options?: BulkOptions) =>
  bulk(db, 'discard', filter, who, options);
