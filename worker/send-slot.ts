import type pg from 'pg';
import type { Logger } from '../lib/log';
import { errorText } from './error-text';
import * as q from './queries';

/**
 * The worker's half of the send-rate limiter (issue #21 item 4; the database's half is
 * sql/functions/send_pacing.sql). A claim of a rate-limited subscription hands each delivery its
 * send slot; slots are 1/rate apart across every worker process. The handler starts at its slot,
 * not before, and not more than SEND_SLOT_TOLERANCE_MS after: a worker that gets there later (an
 * event loop stalled by GC, a busy machine) gives the delivery back unattempted rather than send
 * it late and bunch it with the next ones. So the sends in any one-second span number at most
 * rate × (1 + tolerance) + 1 — 53 at 50/s — however slow or many the workers are
 * (test/send-rate.test.ts).
 */
export const SEND_SLOT_TOLERANCE_MS = 50;

/** Clock samples kept: the best of the recent claims decides. */
const SAMPLES = 64;
/** Older samples are dropped, so that clock drift cannot pile up. */
const SAMPLE_MAX_AGE_MS = 60_000;

/**
 * How the database's clock stands to this process's: offset = database − local, known to lie
 * between bounds learnt from claims. A claim reads the database's clock (db_now_ms) at some moment
 * between sending the claim (askedAt) and receiving its answer (arrivedAt), so
 * dbNow − arrivedAt ≤ offset ≤ dbNow − askedAt. The tightest bounds over recent claims are as
 * narrow as the quickest claim's round trip, usually a millisecond or two, whatever the clocks say
 * and however slow the other claims were. No clock needs to be set right.
 */
export class DatabaseClock {
  private samples: { low: number; high: number; at: number }[] = [];

  observe(dbNowMs: number, askedAt: number, arrivedAt: number) {
    const sample = { low: dbNowMs - arrivedAt, high: dbNowMs - askedAt, at: arrivedAt };
    this.samples = this.samples.filter((s) => arrivedAt - s.at < SAMPLE_MAX_AGE_MS).slice(-(SAMPLES - 1));
    this.samples.push(sample);
    // A clock stepped meanwhile makes the samples disagree: start again from this one.
    const { low, high } = this.bounds();
    if (low > high) this.samples = [sample];
  }

  bounds(): { low: number; high: number } {
    let low = Number.NEGATIVE_INFINITY;
    let high = Number.POSITIVE_INFINITY;
    for (const s of this.samples) {
      low = Math.max(low, s.low);
      high = Math.min(high, s.high);
    }
    return { low, high };
  }

  /**
   * A slot on the database's clock as a window on ours: the slot lies between slot − high and
   * slot − low here; start no sooner than the latest and no later than the earliest + tolerance.
   * Empty (sendBy < sendAt) when the bounds are wider than the tolerance: then it is given back.
   */
  window(slotMs: number): { sendAt: number; sendBy: number } {
    const { low, high } = this.bounds();
    return { sendAt: slotMs - low, sendBy: slotMs - high + SEND_SLOT_TOLERANCE_MS };
  }
}

/** Waits for sendAt (epoch ms); false when it is then later than sendBy: the slot is missed. */
export async function waitForSendSlot(sendAt: number, sendBy: number): Promise<boolean> {
  const early = sendAt - Date.now();
  if (early > 0) await new Promise((resolve) => setTimeout(resolve, early));
  return Date.now() <= sendBy;
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
