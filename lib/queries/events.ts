import { type SQL, sql } from 'drizzle-orm';
import { assertMayFilter } from '../auth/masked-filters';
import type { Executor } from '../db/client';
import type { DeliveryState } from '../db/schema';
import { decodeCursor, pageOf } from './cursor';
import { maskIdempotencyKey, maskKey, maskText, maskValue } from './mask';
import { asDate } from './time';

export interface ReadOptions {
  /** Hide payloads, recipients and provider evidence (callers without `read:payloads`). */
  mask: boolean;
}

export interface EventFilter {
  channel?: string;
  key?: string;
  subscription?: string;
  state?: DeliveryState;
  since?: Date;
  until?: Date;
  cursor?: string;
  limit: number;
}

export interface DeliverySummary {
  id: number;
  subscription: string;
  state: DeliveryState;
}

export interface EventSummary {
  id: number;
  channel: string;
  key: string | null;
  source: string | null;
  payload: unknown;
  runAt: Date | null;
  createdAt: Date;
  deliveries: DeliverySummary[];
}

type EventRow = {
  id: number;
  channel: string;
  key: string | null;
  source: string | null;
  payload: unknown;
  run_at: Date | string | null;
  created_at: Date | string;
  idempotency_key: string | null;
  deliveries: DeliverySummary[] | null;
};

function toSummary(r: EventRow, o: ReadOptions): EventSummary {
  return {
    id: r.id,
    channel: r.channel,
    key: o.mask ? maskKey(r.key) : r.key,
    source: r.source,
    payload: o.mask ? maskValue(r.payload) : r.payload,
    runAt: asDate(r.run_at),
    createdAt: asDate(r.created_at),
    deliveries: r.deliveries ?? [],
  };
}

const deliveriesOf = sql`(
  SELECT json_agg(json_build_object('id', d.id, 'subscription', d.subscription, 'state', d.state) ORDER BY d.id)
  FROM herald.deliveries d WHERE d.event_id = e.id) AS deliveries`;

/**
 * Newest first, keyset-paginated on id. The delivery filters are an EXISTS per event, which
 * walks events newest-first until a page is full: fast when matches are common; a rare state
 * over a long history is better served by `listDeliveries`, which has its own indexes.
 */
export async function listEvents(db: Executor, f: EventFilter, o: ReadOptions) {
  // A key the caller sees masked is not filterable by them (lib/auth/masked-filters.ts).
  assertMayFilter(!o.mask, { key: f.key });
  const where: SQL[] = [sql`true`];
  if (f.cursor) where.push(sql`e.id < ${decodeCursor(f.cursor)}`);
  if (f.channel) where.push(sql`e.channel = ${f.channel}`);
  if (f.key) where.push(sql`e.key = ${f.key}`);
  if (f.since) where.push(sql`e.created_at >= ${f.since.toISOString()}`);
  if (f.until) where.push(sql`e.created_at < ${f.until.toISOString()}`);
  if (f.subscription || f.state) {
    const d: SQL[] = [sql`d.event_id = e.id`];
    if (f.subscription) d.push(sql`d.subscription = ${f.subscription}`);
    if (f.state) d.push(sql`d.state = ${f.state}`);
    where.push(sql`EXISTS (SELECT 1 FROM herald.deliveries d WHERE ${sql.join(d, sql` AND `)})`);
  }
  const { rows } = await db.execute<EventRow>(sql`
    SELECT e.id, e.channel, e.key, e.source, e.payload, e.run_at, e.created_at, e.idempotency_key, ${deliveriesOf}
    FROM herald.events e WHERE ${sql.join(where, sql` AND `)}
    ORDER BY e.id DESC LIMIT ${f.limit + 1}`);
  const page = pageOf(rows, f.limit);
  return { items: page.items.map((r) => toSummary(r, o)), nextCursor: page.nextCursor };
}

export interface AttemptView {
  id: number;
  attempt: number;
  worker: string | null;
  startedAt: Date;
  finishedAt: Date;
  outcome: 'succeeded' | 'failed' | 'dead' | 'lost';
  errorCode: string | null;
  error: string | null;
  result: unknown;
  manual: boolean;
  nextRunAt: Date | null;
}

type DeliveryDetailRow = {
  id: number;
  subscription: string;
  state: DeliveryState;
  attempts: number;
  run_at: Date | string;
  last_error: string | null;
  created_at: Date | string;
  updated_at: Date | string;
  finished_at: Date | string | null;
  attempt_history: (Omit<AttemptView, 'startedAt' | 'finishedAt' | 'nextRunAt'> & {
    startedAt: string;
    finishedAt: string;
    nextRunAt: string | null;
  })[];
};

/** One event with every delivery and every attempt, oldest attempt first; null when unknown. */
export async function getEvent(db: Executor, id: number, o: ReadOptions) {
  const { rows } = await db.execute<EventRow>(sql`
    SELECT e.id, e.channel, e.key, e.source, e.payload, e.run_at, e.created_at, e.idempotency_key, NULL AS deliveries
    FROM herald.events e WHERE e.id = ${id}`);
  const event = rows[0];
  if (!event) return null;
  const { rows: deliveries } = await db.execute<DeliveryDetailRow>(sql`
    SELECT d.id, d.subscription, d.state, d.attempts, d.run_at, d.last_error, d.created_at, d.updated_at, d.finished_at,
      coalesce((SELECT json_agg(json_build_object(
          'id', a.id, 'attempt', a.attempt, 'worker', a.worker, 'startedAt', a.started_at,
          'finishedAt', a.finished_at, 'outcome', a.outcome, 'errorCode', a.error_code, 'error', a.error,
          'result', a.result, 'manual', a.manual, 'nextRunAt', a.next_run_at) ORDER BY a.id)
        FROM herald.attempts a WHERE a.delivery_id = d.id), '[]'::json) AS attempt_history
    FROM herald.deliveries d WHERE d.event_id = ${id} ORDER BY d.id`);
  const summary = toSummary(event, o);
  const hide = (s: string | null) => (o.mask && s !== null ? maskText(s) : s);
  return {
    ...summary,
    idempotencyKey: o.mask ? maskIdempotencyKey(event.idempotency_key) : event.idempotency_key,
    deliveries: deliveries.map((d) => ({
      id: d.id,
      eventId: event.id,
      channel: event.channel,
      eventKey: summary.key,
      subscription: d.subscription,
      state: d.state,
      attempts: d.attempts,
      runAt: asDate(d.run_at),
      lastError: hide(d.last_error),
      createdAt: asDate(d.created_at),
      updatedAt: asDate(d.updated_at),
      finishedAt: asDate(d.finished_at),
      attemptHistory: d.attempt_history.map(
        (a): AttemptView => ({
          ...a,
          startedAt: new Date(a.startedAt),
          finishedAt: new Date(a.finishedAt),
          nextRunAt: a.nextRunAt ? new Date(a.nextRunAt) : null,
          error: hide(a.error),
          result: o.mask ? maskValue(a.result) : a.result,
        }),
      ),
    })),
  };
}

export type EventPage = Awaited<ReturnType<typeof listEvents>>;
export type EventDetail = NonNullable<Awaited<ReturnType<typeof getEvent>>>;
