import type pg from 'pg';
import type { ChannelSchemas } from '../lib/channels/registry';
import type { Logger } from '../lib/log';
import type { CircuitPolicy, Subscription } from '../lib/subscriptions/define';

export interface WorkerOptions {
  /** Pool for claims and completions (a handful of connections is plenty). */
  pool: pg.Pool;
  /** Connection string for the dedicated LISTEN connection. */
  url: string;
  channels: ChannelSchemas;
  subscriptions: readonly Subscription[];
  log: Logger;
  id?: string;
  /** Lease for subscriptions that do not set their own. Default 30 s. */
  defaultLeaseMs?: number;
  /** The polling safety net: claim at least this often even without notifications. Default 1 s. */
  pollIntervalMs?: number;
  /** LISTEN for wake-ups. Off: polling alone (slower, still complete). Default on. */
  notify?: boolean;
  listenerPingMs?: number;
  /**
   * Reconnect the LISTEN connection when it is lost. Default on. Off, a lost listener stays lost
   * and the worker falls back on polling: only the chaos suite turns it off, to show that its
   * network-stall scenario notices a listener that stays down (test/chaos/worker-without-reconnect.ts).
   */
  listenerReconnect?: boolean;
  /** Return expired leases (any worker's) this often. Default 2 s. */
  rescueIntervalMs?: number;
  /** How long stop() lets running handlers finish. Default 10 s. */
  shutdownTimeoutMs?: number;
  /**
   * Deliveries claimed ahead per subscription beyond its concurrency, to hide claim round trips.
   * Default: the subscription's concurrency. Larger values raise throughput for fast handlers
   * but keep more deliveries leased by one process.
   */
  prefetch?: number;
  /** Circuit breaker policy for subscriptions that leave fields unset (HERALD_CIRCUIT_*). */
  circuitDefaults?: CircuitPolicy;
}
