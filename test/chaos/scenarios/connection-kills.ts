import { type ChaosScale, pick, sleep } from '../scale';
import type { ChaosServer } from '../server';
import { finish, type ScenarioResult, withStage } from '../stage';
import { exitedOnTheirOwn, recorderLoad } from './common';

/**
 * pg_terminate_backend on every connection of Herald's (workers' pools, listeners, the API's
 * pool, the publisher) every few seconds. The ledger's own connection is named chaos-ledger.
 */
export function connectionKills(server: ChaosServer, scale: ChaosScale): Promise<ScenarioResult> {
  return withStage(server, 'kills', scale, {}, async (stage) => {
    await Promise.all([stage.fleet.start(), stage.fleet.start()]);
    const durationMs = pick(scale, 8_000, 60_000);
    const load = recorderLoad(stage, 40, durationMs + 60_000);
    let rounds = 0;
    let terminated = 0;
    let lastFaultEndedAt = Date.now();
    const end = Date.now() + durationMs;
    while (Date.now() < end && rounds < 100) {
      await sleep(pick(scale, 1_500, 3_000));
      const [row] = await stage.db.query<{ n: number }>(
        `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND application_name LIKE 'herald%' AND pid <> pg_backend_pid()`,
      );
      terminated += row!.n;
      rounds++;
      lastFaultEndedAt = Date.now();
    }
    return finish(stage, {
      name: 'connection-kills',
      title: "Connection kills (pg_terminate_backend on all of Herald's connections)",
      load,
      faults: rounds,
      faultKind: 'kill rounds',
      lastFaultEndedAt,
      drainTimeoutMs: 60_000,
      notes: { connectionsTerminated: terminated },
      problems: exitedOnTheirOwn(stage, new Set()),
    });
  });
}
