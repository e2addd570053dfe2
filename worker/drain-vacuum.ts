import type pg from 'pg';
import type { Logger } from '../lib/log';
import { errorText } from './error-text';

/**
 * A fast drain leaves tens of thousands of dead row versions in the claim index, and
 * autovacuum may not come for a minute (its wake-up interval is server-wide): claims slow
 * down meanwhile. Going idle after settling many deliveries, vacuum the hot table now.
 * SKIP_LOCKED: if another worker is already vacuuming it, skip.
 */
export class DrainVacuum {
  private settled = 0;
  private vacuuming = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly log: Logger,
  ) {}

  /** Outcomes recorded (each one a dead row version left behind). */
  count(settled: number) {
    this.settled += settled;
  }

  /** A claim found nothing: vacuum if enough was settled since the last time. */
  async afterDrain() {
    if (this.settled < 10_000 || this.vacuuming) return;
    this.vacuuming = true;
    this.settled = 0;
    try {
      await this.pool.query('VACUUM (SKIP_LOCKED) herald.deliveries');
    } catch (error) {
      this.log.debug({ err: errorText(error) }, 'vacuum after drain skipped');
    } finally {
      this.vacuuming = false;
    }
  }
}
