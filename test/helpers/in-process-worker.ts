import pino from 'pino';
import type { Subscription } from '../../lib/subscriptions/define';
import { Worker, type WorkerOptions } from '../../worker/worker';
import { testChannels } from '../fixtures/channels';
import type { TestDatabase } from './db';

/** A Worker in the test process, on the test database, logging only warnings and worse to stderr. */
export function inProcessWorker(
  t: TestDatabase,
  subscriptions: readonly Subscription[],
  options: Partial<WorkerOptions> = {},
): Worker {
  return new Worker({
    pool: t.pool,
    url: t.url,
    channels: testChannels,
    subscriptions,
    log: pino({ level: process.env.TEST_WORKER_LOG_LEVEL ?? 'silent' }),
    pollIntervalMs: 100,
    rescueIntervalMs: 200,
    ...options,
  });
}
