import { type ChaosScale, pick, sleep } from '../scale';
import type { ChaosServer } from '../server';
import { finish, type ScenarioResult, withStage } from '../stage';
import { exitedOnTheirOwn, recorderLoad } from './common';

/** SIGKILL a random worker every few seconds while others run; a fresh one replaces it. */
export function workerCrash(server: ChaosServer, scale: ChaosScale): Promise<ScenarioResult> {
  return withStage(server, 'crash', scale, {}, async (stage) => {
    await Promise.all([stage.fleet.start(), stage.fleet.start(), stage.fleet.start()]);
    const durationMs = pick(scale, 8_000, 60_000);
    const load = recorderLoad(stage, 40, durationMs + 60_000);
    const killed = new Set<number>();
    let lastFaultEndedAt = Date.now();
    const end = Date.now() + durationMs;
    while (Date.now() < end && killed.size < 60) {
      await sleep(pick(scale, 2_000, 4_000));
      const live = stage.fleet.live();
      const victim = live[Math.floor(Math.random() * live.length)];
      if (!victim) break;
      victim.child.kill('SIGKILL');
      killed.add(victim.pid);
      await victim.exited;
      lastFaultEndedAt = Date.now();
      await stage.fleet.start();
    }
    const [rescued] = await stage.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM herald.attempts WHERE outcome = 'lost'`,
    );
    return finish(stage, {
      name: 'worker-crash',
      title: 'Worker crash (SIGKILL)',
      load,
      faults: killed.size,
      faultKind: 'SIGKILLs',
      lastFaultEndedAt,
      drainTimeoutMs: 60_000,
      notes: { rescuedLeases: rescued!.n },
      problems: exitedOnTheirOwn(stage, killed),
    });
  });
}
