import type { ScenarioDb } from './server';

/**
 * The books after a scenario: what was owed (every event in the database — acknowledged or a
 * commit the client never heard back about — times every subscriber of its channel), what was
 * delivered, what ran more than once and whether that is explained by a fault, and whether
 * any delivery's state contradicts its own history.
 */
export interface Ledger {
  events: number;
  /** Committed although the publisher saw an error (a connection dropped at commit). */
  unheardCommits: number;
  deliveries: number;
  /** Owed deliveries not delivered (plus acknowledged events missing, plus missing fan-out). */
  lost: number;
  /** Deliveries whose handler ran (or whose email was accepted) more than once. */
  duplicated: number;
  /** …of which not explained by an attempt that a fault ended (lost or failed). */
  unexplainedDuplicates: number;
  dead: number;
  attempts: number;
  contradictions: Record<string, number>;
}

const count = async (db: ScenarioDb, text: string, values?: unknown[]) =>
  (await db.query<{ n: number }>(text, values))[0]!.n;

/** Handler runs per delivery: the recorder writes test_runs; an email "runs" when the provider accepts it. */
const RUNS = `
  SELECT delivery_id, attempt FROM test_runs
  UNION ALL
  SELECT (m.request->'Metadata'->>'heraldDeliveryId')::bigint, NULL
  FROM herald.sandbox_messages m WHERE m.status = 'accepted' AND m.request->'Metadata' ? 'heraldDeliveryId'`;

export const CONTRADICTIONS: Record<string, string> = {
  // Succeeded, yet the attempt that made it so is not a recorded success.
  succeeded_without_success: `SELECT count(*)::int AS n FROM herald.deliveries d WHERE d.state = 'succeeded'
    AND NOT EXISTS (SELECT 1 FROM herald.attempts a WHERE a.delivery_id = d.id AND a.attempt = d.attempts
                    AND a.outcome = 'succeeded')`,
  // Two outcomes for one attempt: a late worker recorded one over a newer one. (Over a success,
  // which is kept on the delivery's row, it shows as success_by_wrong_worker below.)
  overwritten_outcome: `SELECT count(*)::int AS n FROM (SELECT 1 FROM herald.attempts
    GROUP BY delivery_id, attempt HAVING count(*) > 1) x`,
  // A success recorded in the name of a worker that did not run that attempt.
  success_by_wrong_worker: `SELECT count(*)::int AS n FROM herald.attempts a JOIN test_runs r
    ON r.delivery_id = a.delivery_id AND r.attempt = a.attempt
    WHERE a.outcome = 'succeeded' AND a.worker NOT LIKE '%:' || r.pid || ':%'`,
  // Dead with retry budget left and no attempt that said so (a permanent error records 'dead').
  dead_with_attempts_left: `SELECT count(*)::int AS n FROM herald.deliveries d
    JOIN herald.subscriptions s ON s.name = d.subscription
    WHERE d.state = 'dead' AND d.attempts - d.attempts_before_replay < s.max_attempts
      AND NOT EXISTS (SELECT 1 FROM herald.attempts a WHERE a.delivery_id = d.id AND a.attempt = d.attempts
                      AND a.outcome = 'dead')`,
  running_without_live_lease: `SELECT count(*)::int AS n FROM herald.deliveries
    WHERE state = 'running' AND (lease_owner IS NULL OR lease_expires_at IS NULL
                                 OR lease_expires_at < now() - interval '10 seconds')`,
  pending_but_finished: `SELECT count(*)::int AS n FROM herald.deliveries
    WHERE state = 'pending' AND finished_at IS NOT NULL`,
  // Every attempt a finished delivery counts has exactly one record (nothing unaccounted for).
  attempts_unaccounted: `SELECT count(*)::int AS n FROM herald.deliveries d
    WHERE d.state IN ('succeeded', 'dead')
      AND (SELECT count(DISTINCT a.attempt) FROM herald.attempts a
           WHERE a.delivery_id = d.id AND a.attempt BETWEEN 1 AND d.attempts) <> d.attempts`,
};

export async function readLedger(db: ScenarioDb, acked: ReadonlySet<number>): Promise<Ledger> {
  const ackedIds = [...acked];
  const events = await count(db, 'SELECT count(*)::int AS n FROM herald.events');
  const ackedMissing = await count(
    db,
    `SELECT count(*)::int AS n FROM unnest($1::bigint[]) AS x(id)
     WHERE NOT EXISTS (SELECT 1 FROM herald.events e WHERE e.id = x.id)`,
    [ackedIds],
  );
  const unheardCommits = await count(
    db,
    `SELECT count(*)::int AS n FROM herald.events e WHERE e.id <> ALL($1::bigint[])`,
    [ackedIds],
  );
  const missingFanOut = await count(
    db,
    `SELECT count(*)::int AS n FROM herald.events e
     JOIN herald.subscriptions s ON herald.channel_matches(s.channel_pattern, e.channel)
     WHERE NOT EXISTS (SELECT 1 FROM herald.deliveries d WHERE d.event_id = e.id AND d.subscription = s.name)`,
  );
  const deliveries = await count(db, 'SELECT count(*)::int AS n FROM herald.deliveries');
  // Not delivered: not succeeded, or succeeded without a handler run the subscriber can show.
  const undelivered = await count(
    db,
    `SELECT count(*)::int AS n FROM herald.deliveries d
     WHERE d.state <> 'succeeded'
        OR NOT EXISTS (SELECT 1 FROM (${RUNS}) r WHERE r.delivery_id = d.id)`,
  );
  const duplicated = await count(
    db,
    `SELECT count(*)::int AS n FROM (SELECT delivery_id FROM (${RUNS}) r GROUP BY 1 HAVING count(*) > 1) x`,
  );
  // A re-run is explained when every run but one belongs to an attempt a fault ended (the
  // lease expired: 'lost'; the handler timed out or its worker shut down: 'failed'), and
  // no attempt number ran twice (that would be a double claim in the normal path).
  const unexplainedDuplicates = await count(
    db,
    `WITH runs AS (SELECT delivery_id, count(*) AS runs, count(attempt) - count(DISTINCT attempt) AS same_attempt
                   FROM (${RUNS}) r GROUP BY 1 HAVING count(*) > 1)
     SELECT count(*)::int AS n FROM runs
     WHERE same_attempt > 0
        OR runs - 1 > (SELECT count(*) FROM herald.attempts a
                       WHERE a.delivery_id = runs.delivery_id AND a.outcome IN ('lost', 'failed'))`,
  );
  const dead = await count(db, `SELECT count(*)::int AS n FROM herald.deliveries WHERE state = 'dead'`);
  const attempts = await count(db, 'SELECT count(*)::int AS n FROM herald.attempts');
  const contradictions: Record<string, number> = {};
  for (const [name, text] of Object.entries(CONTRADICTIONS)) {
    const n = await count(db, text);
    if (n > 0) contradictions[name] = n;
  }
  return {
    events,
    unheardCommits,
    deliveries,
    lost: ackedMissing + missingFanOut + undelivered,
    duplicated,
    unexplainedDuplicates,
    dead,
    attempts,
    contradictions,
  };
}

/**
 * Wait (bounded) until no delivery is pending or running; returns when that happened, or
 * undefined on timeout — the ledger then counts what is left as lost.
 */
export async function waitForDrain(db: ScenarioDb, timeoutMs: number): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const n = await count(
        db,
        `SELECT count(*)::int AS n FROM herald.deliveries WHERE state IN ('pending', 'running')`,
      );
      if (n === 0) return Date.now();
    } catch {
      // the database may be coming back from a restart
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return undefined;
}
