import { sql } from 'drizzle-orm';
import type { Executor } from '../db/client';
import type { Subscription } from './define';

/**
 * Upserts the subscriptions declared in code, so that events published while no worker runs
 * still fan out to them. The paused flag is runtime state and is left as operators set it.
 */
export async function syncSubscriptions(
  db: Executor,
  subscriptions: readonly Subscription[],
  defaultLeaseMs: number,
) {
  if (subscriptions.length === 0) return;
  const rows = subscriptions.map((s) => ({
    name: s.name,
    pattern: s.channelPattern,
    maxAttempts: s.retry.maxAttempts,
    base: s.retry.baseDelayMs,
    max: s.retry.maxDelayMs,
    timeout: s.timeoutMs,
    concurrency: s.concurrency,
    lease: s.leaseMs ?? defaultLeaseMs,
  }));
  await db.execute(sql`
    INSERT INTO herald.subscriptions AS s
      (name, channel_pattern, max_attempts, backoff_base_ms, backoff_max_ms, timeout_ms, concurrency, lease_ms)
    SELECT name, pattern, "maxAttempts", base, max, timeout, concurrency, lease
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      AS x(name text, pattern text, "maxAttempts" int, base int, max int, timeout int, concurrency int, lease int)
    ON CONFLICT (name) DO UPDATE SET
      channel_pattern = excluded.channel_pattern, max_attempts = excluded.max_attempts,
      backoff_base_ms = excluded.backoff_base_ms, backoff_max_ms = excluded.backoff_max_ms,
      timeout_ms = excluded.timeout_ms, concurrency = excluded.concurrency, lease_ms = excluded.lease_ms,
      updated_at = now()
    WHERE (s.channel_pattern, s.max_attempts, s.backoff_base_ms, s.backoff_max_ms, s.timeout_ms, s.concurrency, s.lease_ms)
      IS DISTINCT FROM (excluded.channel_pattern, excluded.max_attempts, excluded.backoff_base_ms,
                        excluded.backoff_max_ms, excluded.timeout_ms, excluded.concurrency, excluded.lease_ms)`);
}
