import { asc, count, desc, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { type DeliveryState, deliveries, deliveryStates, subscriptions, workers } from '../db/schema';

/**
 * Deliveries per state. An exact count(*) is fine for a young installation but scans every
 * row; the live dashboard (a later issue) replaces it with rollups before tables get large.
 */
export async function deliveryCountsByState(db: Db): Promise<Record<DeliveryState, number>> {
  const rows = await db
    .select({ state: deliveries.state, n: count() })
    .from(deliveries)
    .groupBy(deliveries.state);
  const counts = Object.fromEntries(deliveryStates.map((s) => [s, 0])) as Record<DeliveryState, number>;
  for (const row of rows) counts[row.state] = row.n;
  return counts;
}

export async function listSubscriptions(db: Db) {
  return db
    .select({
      name: subscriptions.name,
      channelPattern: subscriptions.channelPattern,
      paused: subscriptions.paused,
      pausedReason: subscriptions.pausedReason,
    })
    .from(subscriptions)
    .orderBy(asc(subscriptions.name));
}

export async function listWorkers(db: Db) {
  return db
    .select({
      id: workers.id,
      hostname: workers.hostname,
      pid: workers.pid,
      subscriptions: workers.subscriptions,
      lastHeartbeatAt: workers.lastHeartbeatAt,
      // Measured by the database's clock, like /api/health.
      ageSeconds: sql<number>`extract(epoch FROM now() - ${workers.lastHeartbeatAt})::float8`,
    })
    .from(workers)
    .orderBy(desc(workers.lastHeartbeatAt));
}

export type SubscriptionSummary = Awaited<ReturnType<typeof listSubscriptions>>[number];
export type WorkerSummary = Awaited<ReturnType<typeof listWorkers>>[number];
