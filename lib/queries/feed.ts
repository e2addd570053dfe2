import { sql } from 'drizzle-orm';
import type { Executor } from '../db/client';
import { HeraldError } from '../errors';
import { maskKey, maskText } from './mask';

/**
 * The live feed: events and attempt outcomes newer than a cursor, keyset by id (one index range
 * each, never OFFSET or count). The cursor is two ids, `<last event id>.<last attempt id>`.
 * Ids are assigned at insert and transactions commit out of order, so a row can commit after a
 * higher id was already shown; the feed is a live view, the events list is the record.
 */
export interface FeedFilter {
  channel?: string;
  subscription?: string;
  after?: FeedCursor;
  limit: number;
}

export interface FeedCursor {
  eventId: number;
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
  return `${c.eventId}.${c.attemptId}`;
}

export function parseFeedCursor(value: string): FeedCursor {
  const m = /^(\d{1,15})\.(\d{1,15})$/.exec(value);
  if (!m)
    throw new HeraldError('invalid_request', 'invalid cursor', [
      { path: 'after', message: 'expected the cursor of an earlier feed answer' },
    ]);
  return { eventId: Number(m[1]), attemptId: Number(m[2]) };
}

export async function feed(db: Executor, f: FeedFilter, showPayloads: boolean): Promise<Feed> {
  // Without a cursor: the newest rows; with one: the rows after it, oldest first so that a burst
  // larger than one page is walked through instead of skipped. Separate statements per
  // direction keep each one a plain range scan of the primary key.
  const after = f.after;
  const eventRange = after ? sql`e.id > ${after.eventId}` : sql`true`;
  const attemptRange = after ? sql`a.id > ${after.attemptId}` : sql`true`;
  const eventOrder = after ? sql`e.id ASC` : sql`e.id DESC`;
  const attemptOrder = after ? sql`a.id ASC` : sql`a.id DESC`;
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
    }>(sql`
      SELECT a.id, d.event_id AS "eventId", d.id AS "deliveryId", e.channel, d.subscription, a.attempt,
             a.outcome, a.error, a.finished_at AS at
      FROM herald.attempts a
      JOIN herald.deliveries d ON d.id = a.delivery_id
      JOIN herald.events e ON e.id = d.event_id
      WHERE ${attemptRange} AND ${byChannel} AND ${attemptBySubscription}
      ORDER BY ${attemptOrder}
      LIMIT ${f.limit}`),
  ]);
  const ev: FeedEvent[] = events.rows.map((r) => ({
    kind: 'event',
    id: Number(r.id),
    channel: r.channel,
    key: showPayloads ? r.key : maskKey(r.key),
    at: new Date(r.at).toISOString(),
  }));
  const at: FeedOutcome[] = attempts.rows.map(({ at: when, error, ...r }) => ({
    kind: 'attempt',
    ...r,
    id: Number(r.id),
    error: error === null || showPayloads ? error : maskText(error),
    at: new Date(when).toISOString(),
  }));
  const maxId = (rows: { id: number }[], floor: number) => rows.reduce((m, r) => Math.max(m, r.id), floor);
  return {
    // Newest first, as the page shows them.
    events: after ? ev.reverse() : ev,
    attempts: after ? at.reverse() : at,
    cursor: formatFeedCursor({
      eventId: maxId(ev, after?.eventId ?? 0),
      attemptId: maxId(at, after?.attemptId ?? 0),
    }),
  };
}
