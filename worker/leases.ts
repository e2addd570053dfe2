import type pg from 'pg';
import type { Logger } from '../lib/log';
import { errorText } from './error-text';
import type { InFlight, Lane } from './lane';
import * as q from './queries';

/**
 * The worker's leases, kept: its heartbeat renews what it holds (and stops working on what it
 * no longer holds), and its rescue returns anyone's expired leases to the queue.
 */
export class Leases {
  private readonly names: string[];

  constructor(
    private readonly pool: pg.Pool,
    private readonly workerId: string,
    private readonly lanes: readonly Lane[],
    private readonly inflight: Map<number, InFlight>,
    private readonly log: Logger,
    /** Listener reconnects so far, reported with the heartbeat for metrics. */
    private readonly listenerReconnects: () => number,
    /** Something may be runnable: claim. */
    private readonly wake: () => void,
  ) {
    this.names = lanes.map((l) => l.sub.name);
  }

  /**
   * Every third of the shortest lease: mark this worker alive, renew the leases of what it
   * holds, and abort the handlers of deliveries someone else owns now (a rescue took them).
   */
  async heartbeat() {
    try {
      await q.registerWorker(this.pool, this.workerId, this.names);
      const reconnects = this.listenerReconnects();
      if (reconnects > 0) await q.reportListenerReconnects(this.pool, this.workerId, reconnects);
      const ids = [...this.inflight.keys()];
      if (ids.length === 0) return;
      const kept = await q.heartbeat(this.pool, this.workerId, ids);
      for (const id of ids) {
        if (kept.has(id)) continue;
        const entry = this.inflight.get(id);
        if (!entry) continue; // finished meanwhile
        // Someone else owns it now: stop working on it; our outcome would be refused anyway.
        entry.abort?.abort();
        for (const lane of this.lanes) lane.queue = lane.queue.filter((r) => r.deliveryId !== id);
        this.log.warn({ deliveryId: id }, 'lease lost');
      }
    } catch (error) {
      this.log.warn({ err: errorText(error) }, 'heartbeat failed');
    }
  }

  /** Return expired leases, any worker's, to the queue (or to the dead letters, budget spent). */
  async rescue() {
    try {
      const rescued = await q.rescueExpired(this.pool);
      if (rescued > 0) {
        this.log.warn({ rescued }, 'returned expired leases to the queue');
        this.wake();
      }
    } catch (error) {
      this.log.warn({ err: errorText(error) }, 'rescue failed');
    }
  }
}
