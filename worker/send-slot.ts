import type pg from 'pg';
import type { Logger } from '../lib/log';
import { errorText } from './error-text';
import * as q from './queries';

/**
 * The worker's half of the send-rate limiter (issue #21 item 4; the database's half is
 * sql/functions/send_pacing.sql). A claim of a rate-limited subscription hands each delivery the
 * wait until its send slot; slots are 1/rate apart across every worker process. The handler starts
 * at its slot, not before, and not more than SEND_SLOT_TOLERANCE_MS after: a worker that gets
 * there later (an event loop stalled by GC, a busy machine) gives the delivery back unattempted
 * rather than send it late and bunch it with the next ones. So the sends in any one-second span
 * number at most rate × (1 + tolerance) + 1 — 53 at 50/s — however slow or many the workers are
 * (test/send-rate.test.ts).
 */
export const SEND_SLOT_TOLERANCE_MS = 50;

/** Waits for the slot (epoch ms); false when it is already more than the tolerance past. */
export async function waitForSendSlot(sendAt: number): Promise<boolean> {
  const early = sendAt - Date.now();
  if (early > 0) await new Promise((resolve) => setTimeout(resolve, early));
  return Date.now() - sendAt <= SEND_SLOT_TOLERANCE_MS;
}

/** Deliveries that missed their slot, handed back (herald.release: no attempt counted) in batches. */
export class MissedSlots {
  private rows: q.ClaimedRow[] = [];
  private scheduled = false;
  /** Handed back so far (for tests and logs). */
  count = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly workerId: string,
    private readonly log: Logger,
  ) {}

  giveBack(row: q.ClaimedRow) {
    this.rows.push(row);
    this.count++;
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const rows = this.rows.splice(0);
      q.release(this.pool, this.workerId, rows).catch((error) => {
        this.log.warn(
          { err: errorText(error) },
          'could not hand back deliveries that missed their send slot',
        );
      });
    });
  }
}
