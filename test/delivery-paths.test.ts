import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher } from '../lib/publish';
import { testChannels } from './fixtures/channels';
import { createTestDatabase, type TestDatabase, waitFor } from './helpers/db';
import { startWorkerProcess, type WorkerProcess } from './helpers/worker-process';

const { publishMany } = createPublisher(testChannels);

let t: TestDatabase;
const started: WorkerProcess[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((w) => w.stop()));
  await t.query('TRUNCATE test_runs');
  await t.query('DELETE FROM herald.workers');
});
afterAll(() => t?.drop());

async function allSucceeded() {
  const [row] = await t.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM herald.deliveries WHERE state <> 'succeeded'`,
  );
  return row!.n === 0;
}

describe('with NOTIFY disabled entirely', () => {
  it('still delivers everything through the polling safety net', async () => {
    const w = await startWorkerProcess(t.url, { HERALD_NOTIFY: 'off', HERALD_POLL_INTERVAL_MS: '200' });
    started.push(w);
    const events = await publishMany(
      t.db,
      Array.from({ length: 200 }, (_, n) => ({ channel: 'test.event' as const, payload: { n } })),
    );
    await waitFor('all deliveries to succeed', allSucceeded);
    const [runs] = await t.query<{ n: number; distinct: number }>(
      'SELECT count(*)::int AS n, count(DISTINCT delivery_id)::int AS distinct FROM test_runs',
    );
    expect(runs).toEqual({ n: events.length, distinct: events.length });
    // No listener connection, and the worker never asked publishers to notify.
    const [listeners] = await t.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'herald-listener'`,
    );
    expect(listeners!.n).toBe(0);
    const [waiting] = await t.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM herald.workers WHERE waiting',
    );
    expect(waiting!.n).toBe(0);
  });
});

describe('4 worker processes draining 20,000 events', () => {
  it('run every delivery exactly once', async () => {
    const workers = await Promise.all(Array.from({ length: 4 }, () => startWorkerProcess(t.url)));
    started.push(...workers);
    const total = 20_000;
    const [{ before }] = (await t.query<{ before: number }>(
      'SELECT coalesce(max(id), 0)::bigint AS before FROM herald.attempts',
    )) as [{ before: number }];
    for (let offset = 0; offset < total; offset += 1_000) {
      await publishMany(
        t.db,
        Array.from({ length: 1_000 }, (_, i) => ({
          channel: 'test.event' as const,
          payload: { n: offset + i },
        })),
      );
    }
    await waitFor('all 40,000 deliveries (recorder + pattern) to succeed', allSucceeded, 240_000);
    const [runs] = await t.query<{ n: number; distinct: number; pids: number }>(
      'SELECT count(*)::int AS n, count(DISTINCT delivery_id)::int AS distinct, count(DISTINCT pid)::int AS pids FROM test_runs',
    );
    expect(runs).toEqual({ n: total, distinct: total, pids: 4 });
    const [attempts] = await t.query<{ n: number; extra: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE attempt > 1)::int AS extra FROM herald.attempts WHERE id > $1`,
      [before],
    );
    expect(attempts).toEqual({ n: 2 * total, extra: 0 });
  });
});
