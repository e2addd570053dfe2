import type pg from 'pg';
import type { Logger } from '../lib/log';
import { errorText } from './error-text';
import type { InFlight, Lane } from './lane';
import { LeaseDeadlines } from './lease-deadline';
import * as q from './queries';

/**
 * The worker's leases, kept: its heartbeat renews what it holds (and stops working on what it
 * no longer holds), its own clock stops what it can no longer be sure to hold, and its rescue
 * returns anyone's expired leases to the queue.
 */
export class Leases {
  private readonly names: string[];

  constructor(
    private readonly pool: pg.Pool,
    private readonly workerId: string,
    private readonly lanes: readonly Lane[],
    private readonly inflight: Map<number, InFlight>,
    private readonly deadlines: LeaseDeadlines,
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
      const sentAt = LeaseDeadlines.now();
      const kept = await q.heartbeat(this.pool, this.workerId, ids);
      for (const id of ids) {
        const entry = this.inflight.get(id);
        if (!entry) continue; // finished meanwhile
        if (kept.has(id)) {
          this.deadlines.renewed(entry, sentAt);
          continue;
        }
        // Someone else owns it now: stop working on it; our outcome would be refused anyway.
        this.letGo(id, entry);
        this.log.warn({ deliveryId: id }, 'lease lost');
      }
    } catch (error) {
      this.log.warn({ err: errorText(error) }, 'heartbeat failed');
    }
  }

  /**
   * On the heartbeat's timer: stop every delivery whose lease has certainly run out without a
   * renewal (lease-deadline.ts). Heartbeats that fail, or hang on a silent connection, say
   * nothing; meanwhile a rescue may have handed the delivery to another worker. Its outcome, if
   * the handler still returns one, is then refused by the fence (state, lease owner, attempt).
   */
  expireUnrenewed() {
    for (const [id, entry] of this.deadlines.expired(this.inflight)) {
      this.letGo(id, entry);
      this.log.warn({ deliveryId: id }, 'lease expired without renewal: the database was unreachable');
    }
  }

  /**
   * The lease of this delivery is no longer ours: abort its handler, or never start it. One still
   * queued leaves `inflight` too, as nothing will run or record it; a running one stays until
   * its (refused) outcome is settled, and a rate-limited one waiting for its send slot sees
   * `lost` and does not run (Worker.runAtSendSlot).
   */
  private letGo(id: number, entry: InFlight) {
    entry.lost = true;
    entry.abort?.abort();
    for (const lane of this.lanes) {
      const at = lane.queue.findIndex((r) => r.deliveryId === id);
      if (at === -1) continue;
      lane.queue.splice(at, 1);
      this.inflight.delete(id);
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
