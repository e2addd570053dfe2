import type pg from 'pg';

/**
 * What operators may change without a deploy (issue #21 item 4): a subscription's concurrency per
 * worker process and its send rate. The declared values (subscribe({ concurrency, ratePerSecond }),
 * HERALD_EMAIL_*) are synced to herald.subscriptions; an operator's override
 * (lib/operations/tuning.ts) wins. Workers read this when told (NOTIFY herald_tuning) and every
 * TUNING_POLL_MS in case a notification was missed, so a change applies within seconds.
 * The rate itself is enforced by the database at claim time (send_pacing.sql); the worker only
 * needs to know whether a subscription is paced.
 */
export interface Tuning {
  concurrency: number;
  /** Sends per second across all workers; null: no limit. */
  ratePerSecond: number | null;
}

/** The safety net behind NOTIFY herald_tuning: a missed notification costs at most this. */
export const TUNING_POLL_MS = 2_000;

export const TUNING_CHANNEL = 'herald_tuning';

export async function readTuning(db: Pick<pg.Pool, 'query'>, names: string[]): Promise<Map<string, Tuning>> {
  const { rows } = await db.query<{ name: string; concurrency: number; rate: number | null }>(
    `SELECT name, coalesce(concurrency_override, concurrency) AS concurrency,
            nullif(coalesce(rate_override, rate_per_second), 0) AS rate
     FROM herald.subscriptions WHERE name = ANY($1)`,
    [names],
  );
  return new Map(rows.map((r) => [r.name, { concurrency: r.concurrency, ratePerSecond: r.rate }]));
}
