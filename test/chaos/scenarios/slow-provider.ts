import { updateSandboxControls } from '../../../lib/sandbox/settings';
import { chaosSandbox, emailEnv, mixedLoad } from '../sandbox';
import { type ChaosScale, pick, sleep } from '../scale';
import type { ChaosServer } from '../server';
import { finish, type ScenarioResult, withStage } from '../stage';

const TIMEOUT_MS = 700;
const LATENCY_MS = 1_500;

/**
 * The provider answers slower than the handler timeout: each send times out, is recorded as a
 * failed attempt and retried; the workers stay responsive (other subscribers keep their
 * latency, leases are kept) and everything is delivered once the provider is fast again.
 */
export function slowProvider(server: ChaosServer, scale: ChaosScale): Promise<ScenarioResult> {
  return withStage(server, 'slow', scale, {}, async (stage) => {
    const sandbox = await chaosSandbox(stage);
    try {
      const env = emailEnv(sandbox, {
        CHAOS_EMAIL_TIMEOUT_MS: String(TIMEOUT_MS),
        CHAOS_EMAIL_BASE_DELAY_MS: '500',
        CHAOS_EMAIL_MAX_DELAY_MS: '3000',
        CHAOS_EMAIL_MAX_ATTEMPTS: '100',
      });
      await Promise.all([stage.fleet.start(env), stage.fleet.start(env)]);
      const windowMs = pick(scale, 6_000, 60_000);
      const load = mixedLoad(stage, pick(scale, 10, 8), windowMs + 120_000);
      await sleep(1_500);
      const slowFrom = Date.now();
      await updateSandboxControls(stage.db.db, { latencyMs: LATENCY_MS }, 'chaos');
      await sleep(windowMs);
      await updateSandboxControls(stage.db.db, { latencyMs: 0 }, 'chaos');
      const slowTo = Date.now();
      await sleep(2_000);
      const [row] = await stage.db.query<{ timeouts: number; lost: number; p95: number | null; n: number }>(
        `SELECT
           (SELECT count(*)::int FROM herald.attempts WHERE outcome = 'failed' AND error_code = 'timeout') AS timeouts,
           (SELECT count(*)::int FROM herald.attempts WHERE outcome = 'lost') AS lost,
           (SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM r.at - e.created_at) * 1000)
              FROM test_runs r JOIN herald.deliveries d ON d.id = r.delivery_id JOIN herald.events e ON e.id = d.event_id
              WHERE e.created_at BETWEEN to_timestamp($1 / 1000.0) AND to_timestamp($2 / 1000.0)) AS p95,
           (SELECT count(*)::int FROM test_runs r JOIN herald.deliveries d ON d.id = r.delivery_id
              JOIN herald.events e ON e.id = d.event_id
              WHERE e.created_at BETWEEN to_timestamp($1 / 1000.0) AND to_timestamp($2 / 1000.0)) AS n`,
        [slowFrom, slowTo],
      );
      const r = row!;
      const p95 = Math.round(r.p95 ?? 0);
      const problems: string[] = [];
      if (r.timeouts === 0) problems.push('no send timed out: the slow provider did not bite');
      if (r.lost > 0) problems.push(`${r.lost} leases expired (a worker stopped heart-beating)`);
      if (r.n === 0) problems.push('no other subscriber ran during the slow window');
      if (p95 > 2_000)
        problems.push(`other subscribers slowed down: p95 ${p95} ms while the provider was slow`);
      const [dupes] = await stage.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM (SELECT 1 FROM herald.sandbox_messages WHERE status = 'accepted'
           GROUP BY request->'Metadata'->>'heraldDeliveryId' HAVING count(*) > 1) x`,
      );
      return await finish(stage, {
        name: 'slow-provider',
        title: `Slow provider (${LATENCY_MS} ms answers, ${TIMEOUT_MS} ms handler timeout)`,
        load,
        faults: r.timeouts,
        faultKind: 'timed-out sends',
        lastFaultEndedAt: slowTo,
        drainTimeoutMs: 60_000,
        notes: { otherSubscriberP95Ms: p95, providerAcceptedAfterTimeout: dupes!.n },
        problems,
      });
    } finally {
      await sandbox.close();
    }
  });
}
