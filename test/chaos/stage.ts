import { chaosApiKey, closeApp, pointAppAt } from './app';
import { Fleet } from './fleet';
import { type Ledger, readLedger, waitForDrain } from './ledger';
import type { PublishLoad } from './load';
import type { ChaosScale } from './scale';
import type { ChaosServer, ScenarioDb } from './server';

/** What one scenario reports; `problems` is empty when it passed. */
export interface ScenarioResult extends Ledger {
  name: string;
  title: string;
  scale: ChaosScale;
  durationMs: number;
  published: number;
  publishFailures: number;
  viaApi: number;
  faults: number;
  faultKind: string;
  /** From the end of the last fault until every owed delivery was delivered. */
  recoveryMs: number | undefined;
  notes: Record<string, string | number>;
  problems: string[];
}

export interface Stage {
  server: ChaosServer;
  db: ScenarioDb;
  fleet: Fleet;
  apiToken: string;
  scale: ChaosScale;
  startedAt: number;
}

/** A fresh database, the route handlers pointed at it, an API key; everything torn down after. */
export async function withStage<T>(
  server: ChaosServer,
  label: string,
  scale: ChaosScale,
  workerEnv: Record<string, string>,
  fn: (stage: Stage) => Promise<T>,
  fleetUrl?: (url: string) => string,
  workerEntry?: string,
): Promise<T> {
  const db = await server.createDatabase(label);
  const fleet = new Fleet(
    fleetUrl ? fleetUrl(db.url) : db.url,
    {
      LOG_LEVEL: 'warn',
      HERALD_LEASE_MS: '2000',
      HERALD_POLL_INTERVAL_MS: '500',
      HERALD_LISTENER_PING_MS: '1000',
      TEST_CONCURRENCY: '10',
      ...workerEnv,
    },
    workerEntry,
  );
  try {
    await pointAppAt(db.url);
    const apiToken = await chaosApiKey(db.db);
    return await fn({ server, db, fleet, apiToken, scale, startedAt: Date.now() });
  } finally {
    await fleet.stopAll();
    await closeApp();
    await db.drop().catch(() => {});
  }
}

export interface FinishOptions {
  name: string;
  title: string;
  load: PublishLoad;
  faults: number;
  faultKind: string;
  /** When the last fault ended (healed); recovery is measured from here. */
  lastFaultEndedAt: number;
  drainTimeoutMs: number;
  notes?: Record<string, string | number>;
  /** Extra checks of the scenario: each string returned is a problem. */
  problems?: string[];
}

/** Stop the load, wait for the queue to drain (bounded), read the ledger and judge it. */
export async function finish(stage: Stage, o: FinishOptions): Promise<ScenarioResult> {
  await o.load.stop();
  const drainedAt = await waitForDrain(stage.db, o.drainTimeoutMs);
  const ledger = await readLedger(stage.db, o.load.acked);
  const problems = [...(o.problems ?? [])];
  if (ledger.lost > 0) problems.push(`${ledger.lost} deliveries lost`);
  if (ledger.unexplainedDuplicates > 0)
    problems.push(`${ledger.unexplainedDuplicates} duplicate runs not explained by a fault`);
  for (const [k, n] of Object.entries(ledger.contradictions)) problems.push(`${n} × ${k}`);
  if (ledger.dead > 0) problems.push(`${ledger.dead} deliveries dead`);
  if (drainedAt === undefined) problems.push(`queue not drained within ${o.drainTimeoutMs} ms`);
  if (o.load.rejected.length > 0) problems.push(`API refused valid events: ${o.load.rejected.slice(0, 3)}`);
  if (o.load.acked.size === 0) problems.push('nothing was published');
  return {
    ...ledger,
    name: o.name,
    title: o.title,
    scale: stage.scale,
    durationMs: Date.now() - stage.startedAt,
    published: o.load.acked.size,
    publishFailures: o.load.failed,
    viaApi: o.load.viaApi,
    faults: o.faults,
    faultKind: o.faultKind,
    recoveryMs: drainedAt === undefined ? undefined : Math.max(0, drainedAt - o.lastFaultEndedAt),
    notes: o.notes ?? {},
    problems,
  };
}

export function summary(r: ScenarioResult): string {
  const notes = Object.entries(r.notes)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return (
    `[${r.problems.length === 0 ? 'PASS' : 'FAIL'}] ${r.name} (${r.scale}, ${(r.durationMs / 1000).toFixed(0)} s): ` +
    `events=${r.events} (acked ${r.published}, unheard commits ${r.unheardCommits}, via API ${r.viaApi}) ` +
    `deliveries=${r.deliveries} faults=${r.faults} ${r.faultKind} lost=${r.lost} duplicated=${r.duplicated} ` +
    `(unexplained ${r.unexplainedDuplicates}) recovery=${r.recoveryMs ?? '—'} ms ${notes}` +
    (r.problems.length > 0 ? `\n  problems: ${r.problems.join('; ')}` : '')
  );
}
