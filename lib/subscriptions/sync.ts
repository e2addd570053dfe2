import { sql } from 'drizzle-orm';
import type { Executor } from '../db/client';
import { type CircuitPolicy, circuitPolicyOf, type Subscription } from './define';

/**
 * Upserts the subscriptions declared in code, so that events published while no worker runs
 * still fan out to them. The paused flag is runtime state and is left as operators set it, and so
 * are their overrides of concurrency and rate (`*_override`: the declared values are the defaults).
 */
export async function syncSubscriptions(
  db: Executor,
  subscriptions: readonly Subscription[],
  defaultLeaseMs: number,
  circuitDefaults: CircuitPolicy = {},
) {
  if (subscriptions.length === 0) return;
  const rows = subscriptions.map((s) => ({
    ...circuitColumns(circuitPolicyOf(s, circuitDefaults)),
    name: s.name,
    pattern: s.channelPattern,
    maxAttempts: s.retry.maxAttempts,
    base: s.retry.baseDelayMs,
    max: s.retry.maxDelayMs,
    timeout: s.timeoutMs,
    concurrency: s.concurrency,
    rate: s.ratePerSecond ?? null,
    lease: s.leaseMs ?? defaultLeaseMs,
  }));
  await db.execute(sql`
    INSERT INTO herald.subscriptions AS s
      (name, channel_pattern, max_attempts, backoff_base_ms, backoff_max_ms, timeout_ms, concurrency, lease_ms,
       circuit_enabled, circuit_failures, circuit_window_ms, circuit_probe_ms, circuit_probe_max_ms,
       circuit_release_per_second, rate_per_second)
    SELECT name, pattern, "maxAttempts", base, max, timeout, concurrency, lease,
           c_enabled, c_failures, c_window, c_probe, c_probe_max, c_rate, rate
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      AS x(name text, pattern text, "maxAttempts" int, base int, max int, timeout int, concurrency int, lease int,
           c_enabled boolean, c_failures int, c_window int, c_probe int, c_probe_max int, c_rate float8,
           rate float8)
    ON CONFLICT (name) DO UPDATE SET
      channel_pattern = excluded.channel_pattern, max_attempts = excluded.max_attempts,
      backoff_base_ms = excluded.backoff_base_ms, backoff_max_ms = excluded.backoff_max_ms,
      timeout_ms = excluded.timeout_ms, concurrency = excluded.concurrency, lease_ms = excluded.lease_ms,
      circuit_enabled = excluded.circuit_enabled, circuit_failures = excluded.circuit_failures,
      circuit_window_ms = excluded.circuit_window_ms, circuit_probe_ms = excluded.circuit_probe_ms,
      circuit_probe_max_ms = excluded.circuit_probe_max_ms,
      circuit_release_per_second = excluded.circuit_release_per_second,
      rate_per_second = excluded.rate_per_second,
      updated_at = now()
    WHERE (s.channel_pattern, s.max_attempts, s.backoff_base_ms, s.backoff_max_ms, s.timeout_ms, s.concurrency, s.lease_ms,
           s.circuit_enabled, s.circuit_failures, s.circuit_window_ms, s.circuit_probe_ms, s.circuit_probe_max_ms,
           s.circuit_release_per_second, s.rate_per_second)
      IS DISTINCT FROM (excluded.channel_pattern, excluded.max_attempts, excluded.backoff_base_ms,
                        excluded.backoff_max_ms, excluded.timeout_ms, excluded.concurrency, excluded.lease_ms,
                        excluded.circuit_enabled, excluded.circuit_failures, excluded.circuit_window_ms,
                        excluded.circuit_probe_ms, excluded.circuit_probe_max_ms,
                        excluded.circuit_release_per_second, excluded.rate_per_second)`);
}

function circuitColumns(policy: Required<CircuitPolicy>) {
  return {
    c_enabled: policy.enabled,
    c_failures: Math.round(policy.failures),
    c_window: Math.round(policy.windowMs),
    c_probe: Math.round(policy.probeMs),
    c_probe_max: Math.round(policy.probeMaxMs),
    c_rate: policy.releasePerSecond,
  };
}
