import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChaosServer } from './chaos/server';
import type { ScenarioResult } from './chaos/stage';

/**
 * The fault-injection suite in its short form (seconds per scenario; `npm run chaos` runs the
 * full one and writes docs/RELIABILITY.md). One file, so the scenarios run one after another
 * on the suite's own PostgreSQL — one of them restarts it. Then two scenarios run with their
 * protection removed and must fail: the suite is known to bite.
 */
process.env.LOG_LEVEL = 'fatal'; // the API's logger reports every request a fault broke
process.env.CHAOS_SCALE ??= 'short';

const chaos = {
  server: import('./chaos/server'),
  scenarios: import('./chaos/scenarios'),
  stage: import('./chaos/stage'),
  freeze: import('./chaos/scenarios/worker-freeze'),
  stall: import('./chaos/scenarios/network-stall'),
  bite: import('./chaos/bite'),
  app: import('./chaos/app'),
  scale: import('./chaos/scale'),
};

let server: ChaosServer;

beforeAll(async () => {
  server = await (await chaos.server).startChaosServer();
}, 120_000);
afterAll(async () => {
  await (await chaos.app).closeApp();
  await server?.stop();
});

async function report(result: ScenarioResult): Promise<ScenarioResult> {
  console.log((await chaos.stage).summary(result));
  return result;
}

const names = [
  'worker-crash',
  'worker-freeze',
  'db-restart',
  'connection-kills',
  'network-stall',
  'provider-outage',
  'long-provider-outage',
  'slow-provider',
  'bad-input',
];

describe('chaos (short form)', () => {
  for (const name of names) {
    it(`${name}: nothing lost, duplicates only at faults, no contradictions`, {
      timeout: 180_000,
    }, async () => {
      const { scenarios } = await chaos.scenarios;
      const { chaosScale } = await chaos.scale;
      const result = await report(await scenarios[name]!(server, chaosScale()));
      expect(result.problems).toEqual([]);
      expect(result.lost).toBe(0);
      expect(result.faults).toBeGreaterThan(0);
    });
  }
});

describe('the suite bites when a protection is removed', () => {
  it('freeze, with herald.complete_many unfenced: an overwritten outcome', { timeout: 180_000 }, async () => {
    const { workerFreeze } = await chaos.freeze;
    const { UNFENCED_COMPLETE_MANY } = await chaos.bite;
    const result = await report(
      await workerFreeze(server, 'short', { sabotage: (query) => query(UNFENCED_COMPLETE_MANY) }),
    );
    expect(result.problems).not.toEqual([]);
    // A success is kept on its delivery's row (migration 0019): a late one overwrites the newer
    // success there, which shows as a success in the name of a worker that did not run that
    // attempt; a late one over a logged outcome shows as two outcomes for one attempt.
    const c = result.contradictions;
    expect((c.overwritten_outcome ?? 0) + (c.success_by_wrong_worker ?? 0)).toBeGreaterThan(0);
  });

  it('network stall, with the listener reconnect disabled: deliveries missed', {
    timeout: 180_000,
  }, async () => {
    const { networkStall } = await chaos.stall;
    const { NO_LISTENER_RECONNECT_WORKER } = await chaos.bite;
    const result = await report(
      await networkStall(server, 'short', { workerEntry: NO_LISTENER_RECONNECT_WORKER }),
    );
    // The scenario fails: the stall is never healed. (Whether deliveries are also missed
    // depends on timing — steady traffic keeps a worker claiming without any wake-up — so
    // it is not asserted here; the full run shows it.)
    expect(result.problems.some((p) => p.includes('did not reconnect'))).toBe(true);
  });
});
