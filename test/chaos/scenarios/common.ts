import { PublishLoad } from '../load';
import type { Stage } from '../stage';

/**
 * Recorder events, `sleepersInTen` in ten (default one) sleeping on their first attempt so a
 * fault finds handlers mid-run. The library lane and the API lane share the numbering and
 * often alternate, so a scenario that needs sleepers in the library lane asks for two in ten:
 * consecutive numbers, one of each parity.
 */
export function recorderLoad(
  stage: Stage,
  perSecond: number,
  maxMs: number,
  sleepMs = 500,
  sleepersInTen = 1,
): PublishLoad {
  return new PublishLoad({
    databaseUrl: stage.db.url,
    apiToken: stage.apiToken,
    perSecond,
    item: (n) => ({
      channel: 'test.event',
      payload: n % 10 < sleepersInTen ? { n, mode: 'sleep', ms: sleepMs, times: 1 } : { n },
    }),
  }).start(maxMs);
}

/** Workers that died by themselves (not by the scenario's hand): they did not ride the fault out. */
export function exitedOnTheirOwn(stage: Stage, killed: ReadonlySet<number>): string[] {
  return stage.fleet.all
    .filter((w) => !killed.has(w.pid) && (w.child.exitCode !== null || w.child.signalCode !== null))
    .map(
      (w) => `worker ${w.pid} exited (${w.child.exitCode ?? w.child.signalCode}): ${w.output().slice(-500)}`,
    );
}
