import type { InFlight, Lane } from './lane';

/**
 * Until when each delivery's lease is certainly still this worker's, judged on its own clock.
 * A worker cut off from the database (a network partition) cannot learn from a heartbeat that
 * its lease is gone, while another worker's rescue returns the expired delivery to the queue
 * and someone else runs it: past this moment the worker stops the handler itself.
 *
 * The database sets a lease to its now() + the subscription's lease_ms (sql/functions/
 * claim_many.sql, claim_paced.sql, heartbeat.sql). That now() is read while the request is
 * served, after it left this worker, so the lease cannot end before the moment just before the
 * request was sent + lease_ms: only elapsed time on this worker's clock counts, never a
 * comparison with the database's. performance.now() is monotonic, so a wall-clock step (NTP)
 * cannot stretch a lease either.
 */
export class LeaseDeadlines {
  /** lease_ms per subscription, as this worker synced it (lib/subscriptions/sync.ts). */
  private readonly leaseMs = new Map<string, number>();

  constructor(lanes: readonly Lane[], defaultLeaseMs: number) {
    for (const lane of lanes) this.leaseMs.set(lane.sub.name, lane.sub.leaseMs ?? defaultLeaseMs);
  }

  /** The moment a request that sets leases (a claim, a heartbeat) is sent: read it just before. */
  static now(): number {
    return performance.now();
  }

  /** Until when a lease set by a request sent at `sentAt` certainly lasts. */
  until(subscription: string, sentAt: number): number {
    // Every claimed row is of one of the lanes; were it not, its lease is unknown: never expire it.
    return sentAt + (this.leaseMs.get(subscription) ?? Number.POSITIVE_INFINITY);
  }

  /** A heartbeat sent at `sentAt` kept this lease. Never shortens: heartbeats may overlap. */
  renewed(entry: InFlight, sentAt: number) {
    entry.leaseUntil = Math.max(entry.leaseUntil, this.until(entry.row.subscription, sentAt));
  }

  /** Deliveries whose lease has certainly run out with no renewal heard, not yet let go. */
  expired(inflight: ReadonlyMap<number, InFlight>): [number, InFlight][] {
    const now = LeaseDeadlines.now();
    return [...inflight].filter(([, entry]) => !entry.lost && entry.leaseUntil <= now);
  }
}
