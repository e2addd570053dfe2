import { sql } from 'drizzle-orm';
import type { Executor } from '../db/client';

export interface SubscriptionStats {
  subscription: string;
  paused: boolean;
  pending: number;
  running: number;
  dead: number;
  succeeded: number;
  /** Seconds the oldest runnable delivery has been waiting; null when none is. */
  oldestPendingSeconds: number | null;
}

/**
 * Per-subscription counts for `herald stats`. Exact counts over the deliveries table: fine for
 * a command run by hand; the live dashboard uses rollups instead.
 */
export async function subscriptionStats(db: Executor): Promise<SubscriptionStats[]> {
  const { rows } = await db.execute<{
    subscription: string;
    paused: boolean;
    pending: number;
    running: number;
    dead: number;
    succeeded: number;
    oldest_pending_seconds: number | null;
  }>(sql`
    SELECT s.name AS subscription, s.paused,
      count(*) FILTER (WHERE d.state = 'pending')::int AS pending,
      count(*) FILTER (WHERE d.state = 'running')::int AS running,
      count(*) FILTER (WHERE d.state = 'dead')::int AS dead,
      count(*) FILTER (WHERE d.state = 'succeeded')::int AS succeeded,
      extract(epoch FROM now() - min(d.run_at) FILTER (WHERE d.state = 'pending' AND d.run_at <= now()))::float8
        AS oldest_pending_seconds
    FROM herald.subscriptions s LEFT JOIN herald.deliveries d ON d.subscription = s.name
    GROUP BY s.name, s.paused ORDER BY s.name`);
  return rows.map((r) => ({
    subscription: r.subscription,
    paused: r.paused,
    pending: r.pending,
    running: r.running,
    dead: r.dead,
    succeeded: r.succeeded,
    oldestPendingSeconds: r.oldest_pending_seconds,
  }));
}

/** Events published in the last hour and in the last minute. */
export async function publishRates(db: Executor): Promise<{ lastHour: number; lastMinute: number }> {
  const { rows } = await db.execute<{ h: number; m: number }>(sql`
    SELECT count(*)::int AS h, count(*) FILTER (WHERE created_at > now() - interval '1 minute')::int AS m
    FROM herald.events WHERE created_at > now() - interval '1 hour'`);
  return { lastHour: rows[0]?.h ?? 0, lastMinute: rows[0]?.m ?? 0 };
}
