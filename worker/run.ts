import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { AlertRunner } from '../lib/alerts/runner';
import { envDestinations, publicUrl } from '../lib/alerts/settings';
import { channels as appChannels } from '../lib/channels';
import type { ChannelSchemas } from '../lib/channels/registry';
import { ConfigError, config } from '../lib/config';
import { createPool, databaseUrl } from '../lib/db/client';
import { migrateDatabase } from '../lib/db/migrate';
import { emailSettings } from '../lib/email/config';
import { createLogger } from '../lib/log';
import type { Subscription } from '../lib/subscriptions/define';
import { Maintenance } from './maintenance';
import { Worker, type WorkerOptions } from './worker';

interface SubscriptionModule {
  subscriptions: Subscription[];
  channels?: ChannelSchemas;
}

/** HERALD_SUBSCRIPTIONS names another module exporting `subscriptions` (and optionally `channels`). */
async function loadSubscriptions(modulePath: string | undefined): Promise<SubscriptionModule> {
  if (!modulePath) return import('./subscriptions');
  return import(pathToFileURL(path.resolve(modulePath)).href) as Promise<SubscriptionModule>;
}

/**
 * Options a caller may set beyond the environment. Only the chaos suite uses one: it starts
 * workers whose lost listener stays lost (test/chaos/worker-without-reconnect.ts) to show that its
 * network-stall scenario notices it. Production runs worker/main.ts, which sets none.
 */
export type WorkerOverrides = Pick<WorkerOptions, 'listenerReconnect'>;

async function runWorker(overrides: WorkerOverrides) {
  const cfg = config();
  const log = createLogger('herald-worker');
  const url = databaseUrl();
  await migrateDatabase(url);
  const mod = await loadSubscriptions(cfg.HERALD_SUBSCRIPTIONS);
  const pool = createPool(url, { max: 6, applicationName: 'herald-worker', queryTimeoutMs: 120_000 });
  const worker = new Worker({
    pool,
    url,
    channels: mod.channels ?? appChannels,
    subscriptions: mod.subscriptions,
    log,
    defaultLeaseMs: cfg.HERALD_LEASE_MS,
    pollIntervalMs: cfg.HERALD_POLL_INTERVAL_MS,
    notify: cfg.HERALD_NOTIFY === 'on',
    listenerPingMs: cfg.HERALD_LISTENER_PING_MS,
    shutdownTimeoutMs: cfg.HERALD_SHUTDOWN_TIMEOUT_MS,
    prefetch: cfg.HERALD_PREFETCH,
    circuitDefaults: {
      failures: cfg.HERALD_CIRCUIT_FAILURES,
      windowMs: cfg.HERALD_CIRCUIT_WINDOW_MS,
      probeMs: cfg.HERALD_CIRCUIT_PROBE_MS,
      probeMaxMs: cfg.HERALD_CIRCUIT_PROBE_MAX_MS,
      releasePerSecond: cfg.HERALD_CIRCUIT_RELEASE_PER_SECOND,
    },
    ...overrides,
  });
  const maintenance = new Maintenance({
    pool,
    log,
    retentionDays: cfg.HERALD_RETENTION_DAYS,
    deadRetentionDays: cfg.HERALD_DEAD_RETENTION_DAYS,
    pruneIntervalMs: cfg.HERALD_PRUNE_INTERVAL_MS,
    rollupIntervalMs: cfg.HERALD_ROLLUP_INTERVAL_MS,
    alerts: new AlertRunner({
      pool,
      log,
      intervalMs: cfg.HERALD_ALERT_INTERVAL_MS,
      timeoutMs: cfg.HERALD_ALERT_TIMEOUT_MS,
      publicUrl: publicUrl(cfg),
      envDestinations: envDestinations(cfg),
      email: () => emailSettings(cfg),
    }),
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    await Promise.all([maintenance.stop(), worker.stop()]);
    await pool.end();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // Started by a parent over IPC (the start command, tests): when the parent dies without
  // stopping us, stop too rather than live on as an orphan.
  process.on('disconnect', () => void stop('parent exited'));
  await worker.start();
  maintenance.start();
  process.send?.({ type: 'ready', worker: worker.id });
}

/** Runs a worker process until SIGINT/SIGTERM; a start-up failure prints one line and exits 1. */
export function runWorkerProcess(overrides: WorkerOverrides = {}): void {
  runWorker(overrides).catch((error) => {
    const message =
      error instanceof ConfigError ? error.message : `worker failed to start: ${error?.message ?? error}`;
    console.error(`herald: ${message}`);
    process.exit(1);
  });
}
