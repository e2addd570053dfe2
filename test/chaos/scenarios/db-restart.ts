import { type ChaosScale, pick, sleep } from '../scale';
import type { ChaosServer } from '../server';
import { finish, type ScenarioResult, withStage } from '../stage';
import { exitedOnTheirOwn, recorderLoad } from './common';

/** Restart PostgreSQL three times under load; workers and the API pool reconnect by themselves. */
export function dbRestart(server: ChaosServer, scale: ChaosScale): Promise<ScenarioResult> {
  return withStage(server, 'restart', scale, {}, async (stage) => {
    await Promise.all([stage.fleet.start(), stage.fleet.start()]);
    const load = recorderLoad(stage, 40, 300_000);
    const downtimes: number[] = [];
    let lastFaultEndedAt = Date.now();
    for (let i = 0; i < 3; i++) {
      await sleep(pick(scale, 2_500, 15_000));
      downtimes.push(await server.restart());
      lastFaultEndedAt = Date.now();
    }
    await sleep(pick(scale, 2_000, 10_000)); // keep publishing after the last restart
    const listenerLosses = stage.fleet.count('listener connection lost');
    return finish(stage, {
      name: 'db-restart',
      title: 'Database restart ×3 under load',
      load,
      faults: downtimes.length,
      faultKind: 'restarts',
      lastFaultEndedAt,
      drainTimeoutMs: 90_000,
      notes: { downtimeMs: downtimes.join('/'), listenerReconnects: listenerLosses },
      problems: exitedOnTheirOwn(stage, new Set()),
    });
  });
}
