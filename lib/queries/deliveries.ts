import { eq, type SQL, sql } from 'drizzle-orm';
import type { Db, Executor } from '../db/client';
import { type DeliveryState, deliveries } from '../db/schema';
import { decodeCursor, pageOf } from './cursor';
import type { ReadOptions } from './events';
import { maskKey, maskText } from './mask';
import { asDate } from './time';

export interface DeliveryFilter {
  state?: DeliveryState;
  subscription?: string;
  channel?: string;
  eventId?: number;
  since?: Date;
  until?: Date;
  cursor?: string;
  limit: number;
}

export interface DeliveryView {
  id: number;
  eventId: number;
  channel: string;
  eventKey: string | null;
  subscription: string;
  state: DeliveryState;
  attempts: number;
  runAt: Date;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

type Row = {
  id: number;
  event_id: number;
  channel: string;
  event_key: string | null;
  subscription: string;
  state: DeliveryState;
  attempts: number;
  run_at: Date | string;
  last_error: string | null;
  created_at: Date | string;
  updated_at: Date | string;
  finished_at: Date | string | null;
};

/** Newest first (by id), keyset-paginated; `state=dead` is the dead-letter queue. */
export async function listDeliveries(db: Executor, f: DeliveryFilter, o: ReadOptions) {
  const where: SQL[] = [sql`true`];
  if (f.cursor) where.push(sql`d.id < ${decodeCursor(f.cursor)}`);
  if (f.state) where.push(sql`d.state = ${f.state}`);
  if (f.subscription) where.push(sql`d.subscription = ${f.subscription}`);
  if (f.channel) where.push(sql`e.channel = ${f.channel}`);
  if (f.eventId) where.push(sql`d.event_id = ${f.eventId}`);
  if (f.since) where.push(sql`d.updated_at >= ${f.since.toISOString()}`);
  if (f.until) where.push(sql`d.updated_at < ${f.until.toISOString()}`);
  const { rows } = await db.execute<Row>(sql`
    SELECT d.id, d.event_id, e.channel, e.key AS event_key, d.subscription, d.state, d.attempts, d.run_at,
           d.last_error, d.created_at, d.updated_at, d.finished_at
    FROM herald.deliveries d JOIN herald.events e ON e.id = d.event_id
    WHERE ${sql.join(where, sql` AND `)}
    ORDER BY d.id DESC LIMIT ${f.limit + 1}`);
  const page = pageOf(rows, f.limit);
  return {
    items: page.items.map(
      (r): DeliveryView => ({
        id: r.id,
        eventId: r.event_id,
        channel: r.channel,
        eventKey: o.mask ? maskKey(r.event_key) : r.event_key,
        subscription: r.subscription,
        state: r.state,
        attempts: r.attempts,
        runAt: asDate(r.run_at),
        lastError: o.mask && r.last_error !== null ? maskText(r.last_error) : r.last_error,
        createdAt: asDate(r.created_at),
        updatedAt: asDate(r.updated_at),
        finishedAt: asDate(r.finished_at),
      }),
    ),
    nextCursor: page.nextCursor,
  };
}

/** A delivery's current state, or null when there is no such delivery. */
export async function deliveryState(db: Executor, id: number): Promise<DeliveryState | null> {
  const { rows } = await db.execute<{ state: DeliveryState }>(
    sql`SELECT state FROM herald.deliveries WHERE id = ${id}`,
  );
  return rows[0]?.state ?? null;
}

// Prepared once per pool: this runs on every HTTP publish, so PostgreSQL should not re-plan it.
const prepared = new WeakMap<Db, ReturnType<typeof prepareDeliveriesOfEvent>>();
function prepareDeliveriesOfEvent(db: Db) {
  return db
    .select({ id: deliveries.id, subscription: deliveries.subscription, state: deliveries.state })
    .from(deliveries)
    .where(eq(deliveries.eventId, sql.placeholder('eventId')))
    .orderBy(deliveries.id)
    .prepare('herald_deliveries_of_event');
}

/** The deliveries an event fanned out to, for the publish answer. */
export async function deliveriesOfEvent(db: Db, eventId: number) {
  let statement = prepared.get(db);
  if (!statement) {
    statement = prepareDeliveriesOfEvent(db);
    prepared.set(db, statement);
  }
  return statement.execute({ eventId });
}

export type DeliveryPage = Awaited<ReturnType<typeof listDeliveries>>;
