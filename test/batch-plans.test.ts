import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db';
import { explainingClient, subscriptionWithBacklog } from './helpers/plans';

/**
 * A worker that falls behind sends its outcomes in big batches. Each delivery in a batch must
 * be found by its id: when the fence (running, this lease, this attempt) could be read as a
 * filter on `deliveries`, PostgreSQL, guessing from a table no one had analysed that at most one
 * delivery was running, scanned every running delivery and the whole batch for each: 33 s for
 * 3,000 outcomes with 20,000 running. Migration 0016 makes the fence a join condition.
 */
const RUNNING = 20_000;
const BATCH = 3_000;
let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
  await subscriptionWithBacklog(t, 'batch', 'batch.test', RUNNING);
}, 120_000);
afterAll(() => t?.drop());

it('completes, fails and hands back a batch of 3,000 by key with 20,000 running, unanalysed', async () => {
  const explaining = await explainingClient(t.url);
  const c = explaining.client;
  try {
    const claimed = (
      await c.query<{ delivery_id: number; attempt: number }>(
        `SELECT delivery_id, attempt FROM herald.claim_many('w1', ARRAY['batch'], ARRAY[$1::int])`,
        [RUNNING],
      )
    ).rows;
    expect(claimed).toHaveLength(RUNNING);
    const part = (k: number) => claimed.slice(k * BATCH, (k + 1) * BATCH);
    const ids = (k: number) => part(k).map((r) => r.delivery_id);
    const attempts = (k: number) => part(k).map((r) => r.attempt);
    const each = <T>(k: number, value: T) => part(k).map(() => value);

    await explaining.record();
    await c.query('SET auto_explain.log_analyze = on');
    const completed = await c.query('SELECT * FROM herald.complete_many($1, $2, $3, $4, $5::jsonb[], $6)', [
      'w1',
      ids(0),
      attempts(0),
      each(0, new Date()),
      each(0, null),
      each(0, false),
    ]);
    const failed = await c.query(
      'SELECT * FROM herald.fail_many($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb[])',
      [
        'w1',
        ids(1),
        attempts(1),
        each(1, new Date()),
        each(1, 'down'),
        each(1, null),
        each(1, 'http_503'),
        each(1, null),
        each(1, false),
        each(1, null),
      ],
    );
    const released = await c.query('SELECT herald.release($1, $2, $3) AS n', ['w1', ids(2), attempts(2)]);
    expect(completed.rowCount).toBe(BATCH);
    expect(failed.rowCount).toBe(BATCH);
    expect(released.rows[0].n).toBe(BATCH);

    const updates = (await explaining.plans()).filter((p) => p.includes('Update on deliveries d'));
    expect(updates).toHaveLength(3);
    for (const plan of updates) {
      expect(plan).toMatch(/Index Scan using deliveries_pkey on deliveries d\b/);
      expect(plan).not.toMatch(
        /Rows Removed by Join Filter|Seq Scan on deliveries|Bitmap Heap Scan on deliveries d\b/,
      );
    }
  } finally {
    await explaining.end();
  }
}, 180_000);
