import type pg from 'pg';
import type { Logger } from '../lib/log';
import type { DrainVacuum } from './drain-vacuum';
import { errorText } from './error-text';
import type { InFlight } from './lane';
import * as q from './queries';
import { degradeFailure, degradeSuccess, recordSplitting } from './record-outcomes';
import type { RetryWake } from './retry-wake';

/**
 * Finished attempts on their way to the database. Handlers push onto `successes` and `failures`
 * and call flush(); the outcomes are recorded in batches, one herald.complete_many and one
 * herald.fail_many at a time, then settled: the delivery leaves `inflight`, the outcome is
 * logged, and a scheduled retry arms the worker's wake-up.
 */
export class Outcomes {
  /** Pushed to directly from the handler path, so that a delivery costs no call here. */
  readonly successes: q.Success[] = [];
  readonly failures: q.Failure[] = [];
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly workerId: string,
    private readonly inflight: Map<number, InFlight>,
    private readonly log: Logger,
    private readonly retries: RetryWake,
    private readonly vacuum: DrainVacuum,
    /**
     * A provider-unavailable failure was recorded (or could not be): `held` when it came back
     * held, the subscription's circuit being open (the provider is down).
     */
    private readonly onProviderFailure: (subscription: string, held: boolean) => void = () => {},
  ) {}

  /** Record finished attempts in batches: at most one round of writes in flight at a time. */
  flush(): Promise<void> {
    this.flushing ??= new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.flushLoop())
      .finally(() => {
        this.flushing = undefined;
        if (this.successes.length + this.failures.length > 0) void this.flush();
      });
    return this.flushing;
  }

  /** Until every outcome queued so far is recorded (shutdown). */
  async drain() {
    // A flush already under way may have taken its batch before the last ones were queued:
    // keep flushing until nothing is left.
    while (this.flushing || this.successes.length + this.failures.length > 0) await this.flush();
  }

  /** The handler of this delivery finished and its outcome waits to be recorded. */
  queued(deliveryId: number): boolean {
    return (
      this.successes.some((s) => s.row.deliveryId === deliveryId) ||
      this.failures.some((f) => f.row.deliveryId === deliveryId)
    );
  }

  /** Shutdown came before the handler finished: a failed attempt, to be retried at once. */
  abandon(entry: InFlight) {
    entry.abandoned = true;
    entry.abort?.abort();
    this.failures.push({
      row: entry.row,
      startedAt: null,
      failure: {
        error: 'the worker shut down before the handler finished',
        stack: null,
        code: 'shutdown',
        retryAfterMs: 0,
        permanent: false,
        unavailable: false,
        result: null,
      },
    });
  }

  private async flushLoop() {
    let delay = 100;
    while (this.successes.length + this.failures.length > 0) {
      const ok = this.successes.splice(0);
      const bad = this.failures.splice(0);
      const unrecorded = new Set<number>();
      const dropped = (item: q.Success | q.Failure, refusal: unknown) => {
        unrecorded.add(item.row.deliveryId);
        this.log.error(
          { deliveryId: item.row.deliveryId, err: errorText(refusal) },
          'the database refused this outcome even without its result or error text; its lease will expire',
        );
      };
      try {
        const [completed, failed] = await Promise.all([
          recordSplitting<q.Success, Set<number>>(ok, {
            write: (batch) => q.completeMany(this.pool, this.workerId, batch),
            empty: () => new Set<number>(),
            merge: (into, more) => new Set([...into, ...more]),
            degrade: degradeSuccess,
            dropped,
          }),
          recordSplitting<q.Failure, Map<number, q.FailResult>>(bad, {
            write: (batch) => q.failMany(this.pool, this.workerId, batch),
            empty: () => new Map<number, q.FailResult>(),
            merge: (into, more) => new Map([...into, ...more]),
            degrade: degradeFailure,
            dropped,
          }),
        ]);
        if (unrecorded.size === 0) this.settle(ok, bad, completed, failed);
        else {
          for (const id of unrecorded) this.inflight.delete(id);
          for (const f of bad)
            if (f.failure.unavailable && unrecorded.has(f.row.deliveryId))
              this.onProviderFailure(f.row.subscription, false);
          this.settle(
            ok.filter((s) => !unrecorded.has(s.row.deliveryId)),
            bad.filter((f) => !unrecorded.has(f.row.deliveryId)),
            completed,
            failed,
          );
        }
        this.vacuum.count(ok.length + bad.length);
        delay = 100;
      } catch (error) {
        // Keep the outcomes and try again: a retry is safe because every write is fenced.
        this.log.error(
          { err: errorText(error), pending: ok.length + bad.length },
          'recording outcomes failed; retrying',
        );
        this.successes.unshift(...ok);
        this.failures.unshift(...bad);
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5_000);
      }
    }
  }

  private settle(
    ok: q.Success[],
    bad: q.Failure[],
    completed: Set<number>,
    failed: Map<number, q.FailResult>,
  ) {
    // Successes are the bulk of the traffic: build nothing for a log level that is off.
    const logSuccess = this.log.isLevelEnabled('info');
    for (const s of ok) {
      this.inflight.delete(s.row.deliveryId);
      const succeeded = completed.has(s.row.deliveryId);
      if (succeeded && !logSuccess) continue;
      const base = { deliveryId: s.row.deliveryId, attempt: s.row.attempt, subscription: s.row.subscription };
      if (succeeded) {
        this.log.info({ ...base, eventId: s.row.eventId, outcome: 'succeeded' }, 'attempt succeeded');
      } else {
        this.log.warn({ ...base }, 'completion refused: the lease was lost before the handler finished');
      }
    }
    for (const f of bad) {
      this.inflight.delete(f.row.deliveryId);
      const base = { deliveryId: f.row.deliveryId, attempt: f.row.attempt, subscription: f.row.subscription };
      const result = failed.get(f.row.deliveryId);
      if (result) {
        if (result.nextRunAt) this.retries.at(result.nextRunAt);
        this.log.info(
          {
            ...base,
            eventId: f.row.eventId,
            outcome: result.outcome === 'failed' && !result.nextRunAt ? 'held' : result.outcome,
            code: f.failure.code,
            nextRunAt: result.nextRunAt,
            err: f.failure.error,
          },
          'attempt failed',
        );
      } else {
        this.log.warn({ ...base }, 'completion refused: the lease was lost before the handler failed');
      }
    }
    for (const f of bad)
      if (f.failure.unavailable) {
        const result = failed.get(f.row.deliveryId);
        this.onProviderFailure(f.row.subscription, result?.outcome === 'failed' && !result.nextRunAt);
      }
  }
}
