import { type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../db/client';
import { HeraldError } from '../errors';
import { maskKey, maskText } from './mask';

/**
 * The live feed: events and attempt outcomes newer than a cursor (one index range each, never
 * OFFSET or count). Events are walked by id; outcomes by (finished_at, id), because a success
 * is kept on its delivery's row (migration 0019) and only the time of outcomes is indexed for
 * both kinds. The cursor is `<last event id>.<last outcome's finished_at in µs>.<its id>`.
 * Transactions commit out of order, so a row can commit after a later one was already shown;
 * the feed is a live view, the events list is the record.
 */
export interface FeedFilter {
  channel?: string;
  subscription?: string;
  after?: FeedCursor;
  limit: number;
}

export interface FeedCursor {
  eventId: number;
  /** When the last outcome shown finished, in microseconds since 1970 (PostgreSQL's precision). */
  attemptFinishedUs: number;
  attemptId: number;
}

export interface FeedEvent {
  kind: 'event';
  id: number;
  channel: string;
  key: string | null;
  at: string;
}

export interface FeedOutcome {
  kind: 'attempt';
  id: number;
  eventId: number;
  deliveryId: number;
  channel: string;
  subscription: string;
  attempt: number;
  outcome: 'succeeded' | 'failed' | 'dead' | 'lost';
  error: string | null;
  at: string;
}

export interface Feed {
  events: FeedEvent[];
  attempts: FeedOutcome[];
  cursor: string;
}

export function formatFeedCursor(c: FeedCursor): string {
  return `${c.eventId}.${c.attemptFinishedUs}.${c.attemptId}`;
}

export function parseFeedCursor(value: string): FeedCursor {
  const m = /^(\d{1,15})\.(\d{1,17})\.(\d{1,15})$/.exec(value);
  if (!m)
    throw new HeraldError('invalid_request', 'invalid cursor', [
      { path: 'after', message: 'expected the cursor of an earlier feed answer' },
    ]);
  return { eventId: Number(m[1]), attemptFinishedUs: Number(m[2]), attemptId: Number(m[3]) };
}

export async function feed(db: Executor, f: FeedFilter, showPayloads: boolean): Promise<Feed> {
  // Without a cursor: the newest rows; with one: the rows after it, oldest first so that a burst
  // larger than one page is walked through instead of skipped. Separate statements per
  // direction keep each one a plain range scan of an index.
  const after = f.after;
  const eventRange = after ? sql`e.id > ${after.eventId}` : sql`true`;
  const afterTime = after
    ? sql`(timestamptz 'epoch' + ${after.attemptFinishedUs}::bigint * interval '1 microsecond')`
    : sql`NULL`;
  // Outcomes after the cursor's (finished_at, id): the first condition is the index range, the
  // row comparison breaks ties within one instant (a batch of outcomes shares its time).
  const attemptRange = (finishedAt: SQL, id: SQL) =>
    after
      ? sql`${finishedAt} >= ${afterTime} AND (${finishedAt}, ${id}) > (${afterTime}, ${after.attemptId}::bigint)`
      : sql`true`;
  const eventOrder = after ? sql`e.id ASC` : sql`e.id DESC`;
  const attemptOrder = (finishedAt: SQL, id: SQL) =>
    after ? sql`${finishedAt} ASC, ${id} ASC` : sql`${finishedAt} DESC, ${id} DESC`;
  const byChannel = f.channel ? sql`e.channel = ${f.channel}` : sql`true`;
  const eventBySubscription = f.subscription
    ? sql`EXISTS (SELECT 1 FROM herald.deliveries d WHERE d.event_id = e.id AND d.subscription = ${f.subscription})`
    : sql`true`;
  const attemptBySubscription = f.subscription ? sql`d.subscription = ${f.subscription}` : sql`true`;
  const [events, attempts] = await Promise.all([
    db.execute<{ id: number; channel: string; key: string | null; at: Date }>(sql`
      SELECT e.id, e.channel, e.key, e.created_at AS at
      FROM herald.events e
      WHERE ${eventRange} AND ${byChannel} AND ${eventBySubscription}
      ORDER BY ${eventOrder}
      LIMIT ${f.limit}`),
    db.execute<{
      id: number;
      eventId: number;
      deliveryId: number;
      channel: string;
      subscription: string;
      attempt: number;
      outcome: FeedOutcome['outcome'];
      error: string | null;
      at: Date;
      atUs: string;
    }>(sql`
      -- Each store of attempts in time order on its own, then the two pages merged: through the
      -- herald.attempts view PostgreSQL would sort every success after the cursor (a UNION ALL
      -- member with a WHERE clause is planned on its own, without the outer ORDER BY).
      WITH logged AS (
        SELECT l.id, l.delivery_id, l.attempt, l.outcome, l.error, l.finished_at
        FROM herald.attempt_log l
        JOIN herald.deliveries d ON d.id = l.delivery_id
        JOIN herald.events e ON e.id = d.event_id
        WHERE ${attemptRange(sql`l.finished_at`, sql`l.id`)} AND ${byChannel} AND ${attemptBySubscription}
        ORDER BY ${attemptOrder(sql`l.finished_at`, sql`l.id`)}
        LIMIT ${f.limit}
      ),
      succeeded AS (
        SELECT d.success_attempt_id AS id, d.id AS delivery_id, d.attempts AS attempt,
               'succeeded'::text AS outcome, NULL::text AS error, d.finished_at
        FROM herald.deliveries d
        JOIN herald.events e ON e.id = d.event_id
        WHERE d.state = 'succeeded' AND d.success_attempt_id IS NOT NULL
          AND ${attemptRange(sql`d.finished_at`, sql`d.success_attempt_id`)} AND ${byChannel} AND ${attemptBySubscription}
        ORDER BY ${attemptOrder(sql`d.finished_at`, sql`d.success_attempt_id`)}
        LIMIT ${f.limit}
      )
      SELECT a.id, d.event_id AS "eventId", d.id AS "deliveryId", e.channel, d.subscription, a.attempt,
             a.outcome, a.error, a.finished_at AS at,
             (extract(epoch FROM a.finished_at) * 1000000)::bigint::text AS "atUs"
      FROM (SELECT * FROM logged UNION ALL SELECT * FROM succeeded) a
      JOIN herald.deliveries d ON d.id = a.delivery_id
      JOIN herald.events e ON e.id = d.event_id
      ORDER BY ${attemptOrder(sql`a.finished_at`, sql`a.id`)}
      LIMIT ${f.limit}`),
  ]);
  const ev: FeedEvent[] = events.rows.map((r) => ({
    kind: 'event',
    id: Number(r.id),
    channel: r.channel,
    key: showPayloads ? r.key : maskKey(r.key),
    at: new Date(r.at).toISOString(),
  }));
  const at: FeedOutcome[] = attempts.rows.map(({ at: when, atUs: _, error, ...r }) => ({
    kind: 'attempt',
    ...r,
    id: Number(r.id),
    error: error === null || showPayloads ? error : maskText(error),
    at: new Date(when).toISOString(),
  }));
  const maxId = (rows: { id: number }[], floor: number) => rows.reduce((m, r) => Math.max(m, r.id), floor);
  // The newest outcome read: the last row walking forward, the first walking back.
  const newest = after ? attempts.rows.at(-1) : attempts.rows[0];
  return {
    // Newest first, as the page shows them.
    events: after ? ev.reverse() : ev,
    attempts: after ? at.reverse() : at,
    cursor: formatFeedCursor({
      eventId: maxId(ev, after?.eventId ?? 0),
      attemptFinishedUs: newest ? Number(newest.atUs) : (after?.attemptFinishedUs ?? 0),
      attemptId: newest ? Number(newest.id) : (after?.attemptId ?? 0),
    }),
  };
}
