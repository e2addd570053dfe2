import { waitFor } from '../../helpers/db';
import { startStallProxy } from '../proxy';
import { type ChaosScale, pick, sleep } from '../scale';
import type { ChaosServer } from '../server';
import { finish, type ScenarioResult, withStage } from '../stage';
import { recorderLoad } from './common';

export interface StallOptions {
  /** The workers' entry file: the bite test runs one whose listener never reconnects. */
  workerEntry?: string;
}

/**
 * The worker reaches PostgreSQL through a proxy of ours; the listener's connection is frozen
 * (no packets either way, nothing closed). The worker polls only once an hour, so only the
 * listener's health ping, reconnect and sweep can keep deliveries moving.
 */
export async function networkStall(
  server: ChaosServer,
  scale: ChaosScale,
  o: StallOptions = {},
): Promise<ScenarioResult> {
  const proxy = await startStallProxy(server.port);
  const pingMs = 1_000;
  try {
    return await withStage(
      server,
      'stall',
      scale,
      { HERALD_POLL_INTERVAL_MS: '3600000', HERALD_LISTENER_PING_MS: String(pingMs) },
      async (stage) => {
        await stage.fleet.start();
        const load = recorderLoad(stage, 30, 300_000);
        const cycles = pick(scale, 2, 10);
        const detections: number[] = [];
        const problems: string[] = [];
        let lastFaultEndedAt = Date.now();
        for (let i = 0; i < cycles; i++) {
          await sleep(pick(scale, 2_000, 5_000));
          const frozenAt = Date.now();
          const frozen = proxy.freeze('herald-listener');
          if (frozen === 0) {
            problems.push(`cycle ${i}: no listener connection to freeze`);
            break;
          }
          const back = await waitFor(
            'a new listener connection',
            async () =>
              proxy
                .connections()
                .find((c) => c.applicationName === 'herald-listener' && c.openedAt >= frozenAt),
            15_000,
          ).catch(() => undefined);
          if (!back) {
            problems.push(`cycle ${i}: the listener did not reconnect within 15 s`);
            break;
          }
          detections.push(back.openedAt - frozenAt);
          lastFaultEndedAt = back.openedAt;
        }
        await sleep(2_000); // publish a little after the last reconnect
        const worst = Math.max(0, ...detections);
        // The ping fires every pingMs and waits at most min(3 s, pingMs); then a short backoff.
        const allowed = 2 * pingMs + 2_000;
        if (worst > allowed) problems.push(`stall detected after ${worst} ms (allowed ${allowed} ms)`);
        return finish(stage, {
          name: 'network-stall',
          title: "Silent network stall of the listener's connection",
          load,
          faults: detections.length + (problems.length > 0 ? 1 : 0),
          faultKind: 'frozen listener connections',
          lastFaultEndedAt,
          drainTimeoutMs: 20_000,
          notes: { detectedWithinMs: worst, pingMs },
          problems,
        });
      },
      (url) => proxy.urlFor(url),
      o.workerEntry,
    );
  } finally {
    await proxy.close();
  }
}
