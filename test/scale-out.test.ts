import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher } from '../lib/publish';
import { testChannels } from './fixtures/channels';
import { createTestDatabase, type TestDatabase, waitFor } from './helpers/db';
import { startWorkerProcess } from './helpers/worker-process';

/**
 * Workers scale out as processes: with handlers that wait on the outside world (here 50 ms
 * each, like a call to an email provider), throughput grows with the number of worker
 * processes until PostgreSQL is the limit. Each process runs 5 handlers at once.
 */
const { publishMany } = createPublisher(testChannels);
const PER_PROCESS = 150;
let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
  // Only the recorder: the fixture's catch-all subscription would double the work.
  await t.query(`INSERT INTO herald.subscriptions (name, channel_pattern) VALUES ('recorder', 'test.event')`);
});
afterAll(() => t?.drop());

async function throughputWith(processes: number): Promise<number> {
  await t.query('TRUNCATE test_runs');
  const workers = await Promise.all(
    Array.from({ length: processes }, () =>
      startWorkerProcess(t.url, {
        TEST_CONCURRENCY: '5',
        HERALD_SUBSCRIPTIONS: 'test/fixtures/recorder-only.ts',
      }),
    ),
  );
  try {
    const total = PER_PROCESS * processes;
    await publishMany(
      t.db,
      Array.from({ length: total }, (_, n) => ({
        channel: 'test.event' as const,
        payload: { n, mode: 'sleep' as const, ms: 50 },
      })),
    );
    await waitFor(
      `${total} handler runs`,
      async () => {
        const [r] = await t.query<{ n: number }>('SELECT count(*)::int AS n FROM test_runs');
        return r!.n >= total;
      },
      120_000,
    );
    const [span] = await t.query<{ seconds: number; n: number }>(
      'SELECT extract(epoch FROM max(at) - min(at))::float8 AS seconds, count(*)::int AS n FROM test_runs',
    );
    return span!.n / span!.seconds;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

describe('scale-out', () => {
  it('raises throughput with more worker processes', { timeout: 300_000 }, async () => {
    const one = await throughputWith(1);
    const two = await throughputWith(2);
    const four = await throughputWith(4);
    console.log(
      `handler runs/s with 1, 2, 4 worker processes: ${[one, two, four].map((x) => x.toFixed(0)).join(', ')}`,
    );
    expect(two).toBeGreaterThan(one * 1.35);
    expect(four).toBeGreaterThan(one * 2.2);
  });
});
