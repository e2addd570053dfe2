import { endSandboxMaintenance, startSandboxMaintenance } from '../../../lib/sandbox/settings';
import { waitFor } from '../../helpers/db';
import { chaosSandbox, emailEnv, mixedLoad } from '../sandbox';
import { type ChaosScale, pick, sleep } from '../scale';
import type { ChaosServer } from '../server';
import { finish, type ScenarioResult, type Stage, withStage } from '../stage';

const BASE_MS = 1_000;

/** Most attempts one delivery can make in `windowMs` if every retry waits its backoff (−25 % jitter). */
export function attemptBound(windowMs: number, baseMs: number, maxMs: number): number {
  let attempts = 1;
  let t = 0;
  for (let k = 1; k < 1_000; k++) {
    t += 0.75 * Math.min(maxMs, baseMs * 2 ** (k - 1));
    if (t > windowMs) break;
    attempts++;
  }
  return attempts;
}

/**
 * The email provider answers maintenance (ErrorCode 100) for a while, then recovers: retries
 * follow the backoff (no storm), nothing goes dead, everything is delivered after.
 */
export function providerOutage(server: ChaosServer, scale: ChaosScale): Promise<ScenarioResult> {
  return withStage(server, 'outage', scale, {}, async (stage) => {
    const maxMs = pick(scale, 4_000, 60_000);
    const outageMs = pick(scale, 10_000, 300_000);
    const sandbox = await chaosSandbox(stage);
    try {
      const env = emailEnv(sandbox, {
        CHAOS_EMAIL_BASE_DELAY_MS: String(BASE_MS),
        CHAOS_EMAIL_MAX_DELAY_MS: String(maxMs),
        CHAOS_EMAIL_MAX_ATTEMPTS: '25',
      });
      await Promise.all([stage.fleet.start(env), stage.fleet.start(env)]);
      const load = mixedLoad(stage, pick(scale, 10, 6), outageMs + 120_000);
      // The email path must be live before the outage (a loaded machine starts workers slowly).
      await waitFor('a first email accepted', () => sandboxCount(stage, `status = 'accepted'`), 60_000);
      const outageStart = Date.now();
      await startSandboxMaintenance(stage.db.db, { durationMs: outageMs + 60_000, actor: 'chaos' });
      await sleep(outageMs);
      // …and must have refused something before it ends (bounded), or it proved nothing.
      await waitFor('a first refusal', () => sandboxCount(stage, `http_status = 503`), 60_000).catch(
        () => {},
      );
      await endSandboxMaintenance(stage.db.db, 'chaos'); // it has ended by its clock too; be sure
      const outageEnd = Date.now();
      // Outcomes are written in batches, and on a loaded machine the refusals reach the attempt
      // history seconds after the provider answered: wait for them (bounded) before counting,
      // rather than for a fixed time.
      if (await sandboxCount(stage, 'http_status = 503'))
        await waitFor('the refusals recorded as attempts', () => refusedAttempts(stage), 30_000).catch(
          () => {},
        );
      const storm = await stormFigures(stage, outageStart, outageEnd, maxMs);
      const problems: string[] = [];
      if (storm.early > 0) problems.push(`${storm.early} retries ran before their backoff`);
      if (storm.shortGaps > 0) problems.push(`${storm.shortGaps} retries scheduled sooner than the backoff`);
      if (storm.maxPerDelivery > storm.bound)
        problems.push(
          `a delivery made ${storm.maxPerDelivery} attempts in the outage (bound ${storm.bound})`,
        );
      if (storm.refused === 0) {
        const seen = await stage.db.query<{ status: string; http_status: number; n: number }>(
          `SELECT status, http_status, count(*)::int AS n FROM herald.sandbox_messages GROUP BY 1, 2`,
        );
        problems.push(
          `the provider refused nothing: the outage did not bite (sandbox saw ${JSON.stringify(seen)})`,
        );
      }
      return await finish(stage, {
        name: 'provider-outage',
        title: `Provider outage (maintenance for ${outageMs / 1000} s)`,
        load,
        faults: storm.refused,
        faultKind: 'sends refused (maintenance)',
        lastFaultEndedAt: outageEnd,
        drainTimeoutMs: 2 * maxMs + 60_000,
        notes: {
          attemptsInOutage: storm.attempts,
          attemptsPerSecond: storm.perSecond,
          maxAttemptsPerDelivery: storm.maxPerDelivery,
          backoffBound: storm.bound,
        },
        problems,
      });
    } finally {
      await sandbox.close();
    }
  });
}

async function sandboxCount(stage: Stage, where: string): Promise<number | undefined> {
  const [row] = await stage.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM herald.sandbox_messages WHERE ${where}`,
  );
  return row!.n > 0 ? row!.n : undefined;
}

async function refusedAttempts(stage: Stage): Promise<number | undefined> {
  const [row] = await stage.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM herald.attempts a JOIN herald.deliveries d ON d.id = a.delivery_id
     WHERE d.subscription = 'email' AND a.error_code = 'postmark_100'`,
  );
  return row!.n > 0 ? row!.n : undefined;
}

async function stormFigures(stage: Stage, from: number, to: number, maxMs: number) {
  const [row] = await stage.db.query<{
    attempts: number;
    max_per_delivery: number;
    early: number;
    short_gaps: number;
    refused: number;
  }>(
    `WITH a AS (SELECT a.* FROM herald.attempts a JOIN herald.deliveries d ON d.id = a.delivery_id
                WHERE d.subscription = 'email')
     SELECT
       (SELECT count(*)::int FROM a WHERE a.started_at BETWEEN to_timestamp($1 / 1000.0) AND to_timestamp($2 / 1000.0)) AS attempts,
       (SELECT coalesce(max(n), 0)::int FROM (SELECT count(*) AS n FROM a
          WHERE a.started_at BETWEEN to_timestamp($1 / 1000.0) AND to_timestamp($2 / 1000.0) GROUP BY delivery_id) x) AS max_per_delivery,
       (SELECT count(*)::int FROM a JOIN a nx ON nx.delivery_id = a.delivery_id AND nx.attempt = a.attempt + 1
          WHERE a.outcome = 'failed' AND nx.started_at < a.next_run_at - interval '100 milliseconds') AS early,
       (SELECT count(*)::int FROM a WHERE a.outcome = 'failed' AND a.error_code = 'postmark_100'
          AND a.next_run_at - a.finished_at
              < (0.74 * least($3::float8, $4 * power(2, a.attempt - 1))) * interval '1 millisecond') AS short_gaps,
       (SELECT count(*)::int FROM a WHERE a.error_code = 'postmark_100') AS refused`,
    [from, to, maxMs, BASE_MS],
  );
  const r = row!;
  return {
    attempts: r.attempts,
    perSecond: Number((r.attempts / ((to - from) / 1000)).toFixed(1)),
    maxPerDelivery: r.max_per_delivery,
    bound: attemptBound(to - from, BASE_MS, maxMs),
    early: r.early,
    shortGaps: r.short_gaps,
    refused: r.refused,
  };
}
