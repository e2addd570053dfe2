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

/** Handler runs per second with this many worker processes, and how many of them took part. */
async function throughputWith(processes: number): Promise<{ perSecond: number; pids: number }> {
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
    const [span] = await t.query<{ seconds: number; n: number; pids: number }>(
      `SELECT extract(epoch FROM max(at) - min(at))::float8 AS seconds, count(*)::int AS n,
              count(DISTINCT pid)::int AS pids
       FROM test_runs`,
    );
    return { perSecond: span!.n / span!.seconds, pids: span!.pids };
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
      `handler runs/s with 1, 2, 4 worker processes: ${[one, two, four].map((x) => x.perSecond.toFixed(0)).join(', ')}`,
    );
    // Every process took its share: none of them stood idle behind another's claims.
    expect([one.pids, two.pids, four.pids]).toEqual([1, 2, 4]);
    // Ideal is ×2 and ×4 (the handlers wait, they do not compute). The bounds sit well below,
    // because the test files running beside this one share the same two cores (×1.65–2.1 and
    // ×2.15–3.9 measured under CI); claims that serialised the processes would give ×1.
    expect(two.perSecond).toBeGreaterThan(one.perSecond * 1.25);
    expect(four.perSecond).toBeGreaterThan(one.perSecond * 1.5);
  });
});
