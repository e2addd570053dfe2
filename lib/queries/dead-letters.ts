import { type SQL, sql } from 'drizzle-orm';
import { assertMayFilter } from '../auth/masked-filters';
import type { Executor } from '../db/client';
import type { DeadFilter } from '../operations/dead-filter';
import type { ReadOptions } from './events';
import { maskKey, maskText } from './mask';

/**
 * The dead-letter queue page. Everything here walks only dead rows (the partial indexes
 * deliveries_dead and deliveries_dead_finished), never the whole history:
 * - the list is keyset on (finished_at, id), newest first;
 * - the groups count at most GROUP_SAMPLE newest dead deliveries per subscription, so a queue of
 *   millions still answers in milliseconds (the page then says "of the newest …").
 * Errors group by their text with the parts that differ per message (addresses, numbers, ids)
 * replaced, so "inactive recipient a@x" and "… b@y" are one group.
 */
export const GROUP_SAMPLE = 10_000;

export interface DeadRow {
  id: number;
  eventId: number;
  channel: string;
  eventKey: string | null;
  subscription: string;
  attempts: number;
  lastError: string | null;
  finishedAt: Date;
}

export interface ErrorGroup {
  subscription: string;
  /** The error with per-message details replaced by `…`. */
  pattern: string;
  /** The longest fixed text of the pattern: the filter that selects this group (errorContains). */
  errorContains: string;
  count: number;
  newest: Date;
}

export interface DeadGroups {
  groups: ErrorGroup[];
  /** Some subscription has more dead deliveries than were counted. */
  sampled: boolean;
}

/** What the list and the bulk actions share: the operator's filter in SQL. */
function where(f: DeadFilter): SQL {
  const parts: SQL[] = [sql`d.state = 'dead'`];
  if (f.subscription) parts.push(sql`d.subscription = ${f.subscription}`);
  if (f.channel) parts.push(sql`e.channel = ${f.channel}`);
  if (f.errorContains)
    parts.push(sql`d.last_error ILIKE ${`%${f.errorContains.replace(/[\\%_]/g, (c) => `\\${c}`)}%`}`);
  if (f.since) parts.push(sql`d.finished_at >= ${f.since.toISOString()}`);
  if (f.until) parts.push(sql`d.finished_at < ${f.until.toISOString()}`);
  return sql.join(parts, sql` AND `);
}

export interface DeadCursor {
  finishedAt: string;
  id: number;
}

export function encodeDeadCursor(c: DeadCursor): string {
  return Buffer.from(`${c.finishedAt}|${c.id}`).toString('base64url');
}

export function decodeDeadCursor(value: string | undefined): DeadCursor | null {
  if (!value) return null;
  const [at, id] = Buffer.from(value, 'base64url').toString('utf8').split('|');
  const n = Number(id);
  if (!at || Number.isNaN(Date.parse(at)) || !Number.isSafeInteger(n)) return null;
  return { finishedAt: at, id: n };
}

export async function listDead(
  db: Executor,
  f: DeadFilter,
  page: { cursor: DeadCursor | null; limit: number },
  o: ReadOptions,
): Promise<{ items: DeadRow[]; next: string | null }> {
  assertMayFilter(!o.mask, { errorContains: f.errorContains });
  const after = page.cursor
    ? sql`AND (d.finished_at, d.id) < (${page.cursor.finishedAt}::timestamptz, ${page.cursor.id})`
    : sql``;
  const { rows } = await db.execute<{
    id: number;
    event_id: number;
    channel: string;
    key: string | null;
    subscription: string;
    attempts: number;
    last_error: string | null;
    finished_at: Date;
  }>(sql`
    SELECT d.id, d.event_id, e.channel, e.key, d.subscription, d.attempts, d.last_error, d.finished_at
    FROM herald.deliveries d JOIN herald.events e ON e.id = d.event_id
    WHERE ${where(f)} AND d.finished_at IS NOT NULL ${after}
    ORDER BY d.finished_at DESC, d.id DESC LIMIT ${page.limit + 1}`);
  const items = rows.slice(0, page.limit).map(
    (r): DeadRow => ({
      id: r.id,
      eventId: r.event_id,
      channel: r.channel,
      eventKey: o.mask ? maskKey(r.key) : r.key,
      subscription: r.subscription,
      attempts: r.attempts,
      lastError: o.mask && r.last_error ? maskText(r.last_error) : r.last_error,
      finishedAt: new Date(r.finished_at),
    }),
  );
  const lastItem = items[items.length - 1];
  const next =
    rows.length > page.limit && lastItem
      ? encodeDeadCursor({ finishedAt: lastItem.finishedAt.toISOString(), id: lastItem.id })
      : null;
  return { items, next };
}

// Addresses, then numbers and hex ids, become `…`: what stays is the kind of error.
const normalise = (error: SQL) => sql`regexp_replace(regexp_replace(coalesce(${error}, '(no error recorded)'),
  '[^\\s@<>(),;:]+@[^\\s@<>(),;:]+', '…', 'g'), '[0-9a-f-]{8,}|\\d+', '…', 'g')`;

/**
 * Dead deliveries by subscription and kind of error, biggest group first. Per subscription, the
 * newest GROUP_SAMPLE are read newest first straight off deliveries_dead (subscription,
 * finished_at), counted per exact error text, and only the distinct texts are normalised — the
 * regular expressions are the costly part, and most dead rows share their text with many others.
 */
export async function deadGroups(
  db: Executor,
  f: Pick<DeadFilter, 'subscription' | 'channel'>,
): Promise<DeadGroups> {
  // JIT off: the planner multiplies the per-subscription walk by its guess of the number of
  // subscriptions and then spends ~300 ms compiling a statement that runs in milliseconds.
  const { rows } = await db.transaction(async (tx) => {
    await tx.execute(sql`SET LOCAL jit = off`);
    return tx.execute<{
      subscription: string;
      pattern: string;
      count: number;
      newest: string;
      sampled: boolean;
    }>(sql`
      WITH recent AS (
        SELECT s.name AS subscription, x.last_error, x.finished_at
        FROM herald.subscriptions s CROSS JOIN LATERAL (
          -- DESC without NULLS LAST: the backward walk of deliveries_dead, no sort (dead rows
          -- always have finished_at).
          SELECT d.last_error, d.finished_at
          FROM herald.deliveries d
          WHERE d.state = 'dead' AND d.subscription = s.name
          ${
            f.channel
              ? // A subscription to exactly this channel needs no look at the events.
                sql`AND (s.channel_pattern = ${f.channel} OR EXISTS (
                  SELECT 1 FROM herald.events e WHERE e.id = d.event_id AND e.channel = ${f.channel}))`
              : sql``
          }
          ORDER BY d.finished_at DESC LIMIT ${GROUP_SAMPLE}) x
        -- A subscription whose pattern cannot match the channel has none of its dead: skip it
        -- rather than walk all its dead rows looking for one.
        WHERE true ${f.subscription ? sql`AND s.name = ${f.subscription}` : sql``}
          ${f.channel ? sql`AND herald.channel_matches(s.channel_pattern, ${f.channel})` : sql``}
      ), texts AS (
        SELECT subscription, last_error, count(*) AS n, max(finished_at) AS newest
        FROM recent GROUP BY subscription, last_error
      ), sampled AS (
        SELECT subscription, sum(n) >= ${GROUP_SAMPLE} AS sampled FROM texts GROUP BY subscription
      )
      SELECT t.subscription, ${normalise(sql`t.last_error`)} AS pattern, sum(t.n)::int AS count,
             max(t.newest) AS newest, bool_or(s.sampled) AS sampled
      FROM texts t JOIN sampled s USING (subscription)
      GROUP BY t.subscription, pattern ORDER BY count DESC, t.subscription, pattern LIMIT 100`);
  });
  return {
    groups: rows.map((r) => ({
      subscription: r.subscription,
      pattern: r.pattern,
      errorContains: fixedText(r.pattern),
      count: r.count,
      // Raw statements return timestamps as text.
      newest: new Date(r.newest),
    })),
    sampled: rows.some((r) => r.sampled),
  };
}

/** The longest run of the pattern without a placeholder: a substring every member contains. */
export function fixedText(pattern: string): string {
  return pattern
    .split('…')
    .map((s) => s.trim())
    .sort((a, b) => b.length - a.length)[0]!
    .slice(0, 200);
}

/** Subscriptions and channels that have dead deliveries, for the filter's choices. */
export async function deadFacets(db: Executor): Promise<{ subscriptions: string[]; channels: string[] }> {
  const { rows } = await db.execute<{ name: string; pattern: string }>(
    sql`SELECT name, channel_pattern AS pattern FROM herald.subscriptions ORDER BY name`,
  );
  return {
    subscriptions: rows.map((r) => r.name),
    channels: [...new Set(rows.map((r) => r.pattern).filter((p) => !p.includes('*')))].sort(),
  };
}
