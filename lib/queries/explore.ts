import { type SQL, sql } from 'drizzle-orm';
import { assertMayFilter } from '../auth/masked-filters';
import type { Executor } from '../db/client';
import { type DeliveryState, deliveryStates } from '../db/schema';
import { decodeCursor, pageOf } from './cursor';
import { type EventFilter, listEvents, type ReadOptions } from './events';
import { maskKey, maskValue } from './mask';

/**
 * The events explorer: ./events.ts's filters plus a payload field (`customer.email`
 * = value) and error text. Those two are checked per event while walking newest first (keyset
 * on id), which is fast while matches are common; rare matches over long history are what the
 * lookup's indexes are for.
 */
export interface ExploreFilter extends EventFilter {
  /** Dotted JSON path into the payload, e.g. `customer.email`. */
  path?: string;
  value?: string;
  errorContains?: string;
}

export function parseState(v: string | undefined): DeliveryState | undefined {
  return (deliveryStates as readonly string[]).includes(v ?? '') ? (v as DeliveryState) : undefined;
}

export async function exploreEvents(db: Executor, f: ExploreFilter, o: ReadOptions) {
  // Masked data is not filterable either (lib/auth/masked-filters.ts): refused before any read.
  assertMayFilter(!o.mask, {
    key: f.key,
    errorContains: f.errorContains,
    payload: f.path && f.value !== undefined ? `${f.path}=${f.value}` : undefined,
  });
  const pathParts = f.path?.split('.').filter(Boolean) ?? [];
  if (pathParts.length === 0 && !f.errorContains) return listEvents(db, f, o);
  const where: SQL[] = [sql`true`];
  if (f.cursor) where.push(sql`e.id < ${decodeCursor(f.cursor)}`);
  if (f.channel) where.push(sql`e.channel = ${f.channel}`);
  if (f.key) where.push(sql`e.key = ${f.key}`);
  if (f.since) where.push(sql`e.created_at >= ${f.since.toISOString()}`);
  if (f.until) where.push(sql`e.created_at < ${f.until.toISOString()}`);
  if (pathParts.length > 0 && f.value !== undefined)
    where.push(
      sql`e.payload #>> ${`{${pathParts.map((p) => `"${p.replace(/["\\]/g, '')}"`).join(',')}}`}::text[] = ${f.value}`,
    );
  const d: SQL[] = [sql`d.event_id = e.id`];
  if (f.subscription) d.push(sql`d.subscription = ${f.subscription}`);
  if (f.state) d.push(sql`d.state = ${f.state}`);
  if (f.errorContains)
    d.push(sql`d.last_error ILIKE ${`%${f.errorContains.replace(/[\\%_]/g, (c) => `\\${c}`)}%`}`);
  if (d.length > 1)
    where.push(sql`EXISTS (SELECT 1 FROM herald.deliveries d WHERE ${sql.join(d, sql` AND `)})`);
  const { rows } = await db.execute<{
    id: number;
    channel: string;
    key: string | null;
    source: string | null;
    payload: unknown;
    run_at: Date | null;
    created_at: Date;
    deliveries: { id: number; subscription: string; state: DeliveryState }[] | null;
  }>(sql`
    SELECT e.id, e.channel, e.key, e.source, e.payload, e.run_at, e.created_at,
      (SELECT json_agg(json_build_object('id', d.id, 'subscription', d.subscription, 'state', d.state) ORDER BY d.id)
       FROM herald.deliveries d WHERE d.event_id = e.id) AS deliveries
    FROM herald.events e WHERE ${sql.join(where, sql` AND `)}
    ORDER BY e.id DESC LIMIT ${f.limit + 1}`);
  const page = pageOf(rows, f.limit);
  return {
    items: page.items.map((r) => ({
      id: r.id,
      channel: r.channel,
      key: o.mask ? maskKey(r.key) : r.key,
      source: r.source,
      payload: o.mask ? maskValue(r.payload) : r.payload,
      runAt: r.run_at === null ? null : new Date(r.run_at),
      createdAt: new Date(r.created_at),
      deliveries: r.deliveries ?? [],
    })),
    nextCursor: page.nextCursor,
  };
}
