import type pg from 'pg';
import type { Logger } from 'pino';
import { errorText } from './error-text';
import * as q from './queries';

/**
 * Where each subscription's claim starts looking (sql/functions/claim_many.sql, "Claim floors").
 *
 * Claims take rows in run_at order, so a pending row older than the newest one this worker
 * claimed can only be one that became visible late: its transaction set run_at = now() when it
 * began and committed later (a publish inside a long application transaction, a bulk replay), or
 * a row another claim skipped while locked and then gave back. The floor keeps a margin below the
 * newest claimed run_at for the common short transactions; the probe finds the rest.
 *
 * Without a floor, while any session holds a snapshot open each claim fetched every row claimed
 * since that snapshot began (bench:horizon, docs/BENCHMARKS.md "Held snapshot").
 */
export const CLAIM_FLOOR_MARGIN_MS = 250;

/** The probe walks what the floors skip; it takes at most this share of the time between probes. */
const PROBE_DUTY = 0.05;

export class ClaimFloors {
  private readonly floors = new Map<string, number>();
  private probing = false;
  private nextProbeAt = 0;

  constructor(
    private readonly pool: Pick<pg.Pool, 'query'>,
    private readonly log: Logger,
    private readonly wake: () => void,
  ) {}

  /** Each subscription's floor in epoch ms on the database's clock; null: from the beginning. */
  for(subscriptions: readonly string[]): (number | null)[] {
    return subscriptions.map((name) => this.floors.get(name) ?? null);
  }

  /** Rows were claimed: move each subscription's floor up to its newest run_at less the margin. */
  claimed(rows: readonly q.ClaimedRow[]) {
    for (const row of rows) {
      const floor = row.runAtMs - CLAIM_FLOOR_MARGIN_MS;
      if (floor > (this.floors.get(row.subscription) ?? Number.NEGATIVE_INFINITY))
        this.floors.set(row.subscription, floor);
    }
  }

  /**
   * Look below each floor for a pending row (called with the poll). Found: the floor drops to it
   * and the worker claims. The walk costs as much as the dead entries a held snapshot keeps below
   * the floors, so its pace follows its cost: at most PROBE_DUTY of the time, at least once a
   * `minIntervalMs`. A failed probe leaves the floors (the next one tries again).
   */
  async probe(minIntervalMs: number) {
    if (this.probing || Date.now() < this.nextProbeAt || this.floors.size === 0) return;
    this.probing = true;
    const started = Date.now();
    try {
      let lowered = false;
      for (const [name, floor] of [...this.floors]) {
        const below = await q.oldestPendingBelow(this.pool, name, floor);
        if (below === null) continue;
        // Claims moved the floor meanwhile: lower it, never raise it from here.
        // A millisecond under it: the floor travels as float8 epoch ms, which may round up.
        const current = this.floors.get(name) ?? Number.NEGATIVE_INFINITY;
        if (below - 1 < current) {
          this.floors.set(name, below - 1);
          lowered = true;
        }
      }
      if (lowered) {
        this.log.info('claim floor lowered to a row that became visible late');
        this.wake();
      }
    } catch (error) {
      this.log.warn({ err: errorText(error) }, 'claim floor probe failed');
    } finally {
      const took = Date.now() - started;
      this.nextProbeAt = Date.now() + Math.max(minIntervalMs, took / PROBE_DUTY);
      this.probing = false;
    }
  }
}
