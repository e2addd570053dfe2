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

/**
 * The tuning of these subscriptions, and the database's clock (epoch ms) while it was read: a
 * short query every few seconds is the sample that keeps the worker's view of that clock tight
 * when claims are slow (worker/send-slot.ts DatabaseClock).
 */
export async function readTuning(
  db: Pick<pg.Pool, 'query'>,
  names: string[],
): Promise<{ tuning: Map<string, Tuning>; dbNowMs: number }> {
  const { rows } = await db.query<{
    name: string | null;
    concurrency: number;
    rate: number | null;
    now: number;
  }>(
    `SELECT s.name, coalesce(s.concurrency_override, s.concurrency) AS concurrency,
            nullif(coalesce(s.rate_override, s.rate_per_second), 0) AS rate,
            extract(epoch FROM clock_timestamp())::float8 * 1000 AS now
     FROM (SELECT 1) one LEFT JOIN herald.subscriptions s ON s.name = ANY($1)`,
    [names],
  );
  const tuning = new Map<string, Tuning>();
  for (const r of rows)
    if (r.name !== null) tuning.set(r.name, { concurrency: r.concurrency, ratePerSecond: r.rate });
  return { tuning, dbNowMs: rows[0]!.now };
}
