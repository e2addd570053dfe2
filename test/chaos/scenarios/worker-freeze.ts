import { waitFor } from '../../helpers/db';
import { type ChaosScale, pick, sleep } from '../scale';
import type { ChaosServer } from '../server';
import { finish, type ScenarioResult, withStage } from '../stage';
import { exitedOnTheirOwn, recorderLoad } from './common';

/** How long the load's sleeping handlers sleep: the window in which a freeze finds them running. */
const SLEEP_MS = 1_500;

export interface FreezeOptions {
  /** Runs against the stage's database before any worker starts (the bite test unfences SQL here). */
  sabotage?: (query: (text: string) => Promise<unknown>) => Promise<unknown>;
}

/**
 * SIGSTOP a worker while it runs handlers, keep it frozen until its leases have expired and
 * another worker has finished those deliveries, then SIGCONT: its late completions must be
 * refused, and no outcome overwritten.
 */
export function workerFreeze(server: ChaosServer, scale: ChaosScale, o: FreezeOptions = {}) {
  return withStage(server, 'freeze', scale, {}, async (stage): Promise<ScenarioResult> => {
    await o.sabotage?.((text) => stage.db.query(text));
    const frozen = await stage.fleet.start();
    await stage.fleet.start();
    const cycles = pick(scale, 2, 6);
    const load = recorderLoad(stage, 30, 300_000, SLEEP_MS, 2);
    let lastFaultEndedAt = Date.now();
    let takenOver = 0;
    for (let i = 0; i < cycles; i++) {
      await sleep(pick(scale, 500, 4_000));
      // Freeze while it is mid-handler, so that it has something to complete late. Only a
      // sleeping handler that started moments ago is surely still running: an instant one may
      // already have its completion on the wire, which would commit during the freeze.
      const held = await waitFor(
        'the worker to hold a running delivery',
        async () => {
          const rows = await stage.db.query<{ id: number }>(
            `SELECT DISTINCT d.id FROM herald.deliveries d
               JOIN herald.events e ON e.id = d.event_id
               JOIN test_runs r ON r.delivery_id = d.id
             WHERE d.state = 'running' AND d.lease_owner = $1 AND r.pid = $2 AND r.attempt = d.attempts
               AND e.payload->>'mode' = 'sleep' AND r.at > clock_timestamp() - $3 * interval '1 ms'`,
            [frozen.id, frozen.pid, SLEEP_MS / 2],
          );
          return rows.length > 0 ? rows.map((r) => r.id) : undefined;
        },
        60_000,
      );
      frozen.child.kill('SIGSTOP');
      await waitFor(
        'another worker to finish what the frozen one held',
        async () => {
          const [row] = await stage.db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM herald.deliveries WHERE id = ANY($1) AND state <> 'succeeded'`,
            [held],
          );
          return row!.n === 0;
        },
        60_000,
      );
      // Count what another worker really finished (not what the frozen one committed just in time).
      const [taken] = await stage.db.query<{ n: number }>(
        `SELECT count(DISTINCT delivery_id)::int AS n FROM herald.attempts
         WHERE delivery_id = ANY($1) AND outcome = 'succeeded' AND worker <> $2`,
        [held, frozen.id],
      );
      takenOver += taken!.n;
      frozen.child.kill('SIGCONT');
      lastFaultEndedAt = Date.now();
    }
    // Give the thawed worker time to try its late completions (it logs each refusal at warn).
    await waitFor(
      'the thawed worker to be refused',
      async () => frozen.output().includes('completion refused'),
      8_000,
    ).catch(() => {});
    await sleep(1_000);
    const refused = stage.fleet.count('completion refused');
    // On a loaded machine the thawed worker's first heartbeat may notice the lost lease and drop
    // the work before its handler reports: that is the lease protection working too.
    const leaseLost = stage.fleet.count('lease lost');
    const problems = exitedOnTheirOwn(stage, new Set());
    if (takenOver === 0) problems.push('no delivery held by the frozen worker was taken over');
    else if (refused + leaseLost === 0)
      problems.push('the thawed worker neither noticed its lost lease nor was refused');
    return finish(stage, {
      name: 'worker-freeze',
      title: 'Worker freeze (SIGSTOP past the lease, SIGCONT)',
      load,
      faults: cycles,
      faultKind: 'freezes',
      lastFaultEndedAt,
      drainTimeoutMs: 60_000,
      notes: { takenOver, lateCompletionsRefused: refused, leasesNoticedLost: leaseLost },
      problems,
    });
  });
}
