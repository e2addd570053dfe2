import type { Subscription } from '../lib/subscriptions/define';
import { DeadlineQueue } from './deadlines';
import type { LazyAbort } from './lazy-abort';
import type { ClaimedRow } from './queries';

/** One subscription's share of the worker: its claimed deliveries, waiting and running. */
export interface Lane {
  sub: Subscription;
  /** Handlers at once: the declared concurrency, or an operator's (worker/tuning.ts). */
  concurrency: number;
  queue: ClaimedRow[];
  running: number;
  /**
   * Provider-unavailable failures whose outcome is not recorded yet. While there are any, no
   * queued delivery starts: the answer may be that the circuit opened, and then they go back
   * unsent (Worker.providerFailureRecorded).
   */
  unsure: number;
  /**
   * The last claim asked for this lane and got fewer than it asked: nothing more is runnable
   * now, so a finishing handler does not claim again (an empty round trip after every event
   * when traffic is light, in the way of the next event's claim). New work wakes the worker
   * through NOTIFY or the poll; a full claim clears this.
   */
  exhausted: boolean;
  /** Timeouts of the handlers running in this lane. */
  deadlines: DeadlineQueue;
}

export function newLane(sub: Subscription): Lane {
  return {
    sub,
    concurrency: sub.concurrency,
    queue: [],
    running: 0,
    unsure: 0,
    exhausted: false,
    deadlines: new DeadlineQueue(),
  };
}

/** A delivery this worker holds the lease of, from its claim until its outcome is recorded. */
export interface InFlight {
  row: ClaimedRow;
  abort?: LazyAbort;
  /**
   * performance.now() until which the lease is certainly still ours: set by the claim, moved on
   * by each heartbeat that kept it (worker/lease-deadline.ts).
   */
  leaseUntil: number;
  /**
   * The lease is gone, taken by another worker or run out with no renewal heard: the handler was
   * aborted, or will not start (worker/leases.ts).
   */
  lost?: boolean;
  /** Handed back at shutdown: whatever the handler does later is ignored. */
  abandoned?: boolean;
}
