import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db';
import { explainingClient, subscriptionWithBacklog, wholeTableReads } from './helpers/plans';

/**
 * The delivery functions find their rows by key, whatever the planner's statistics say. Once a
 * table with a backlog has been analysed (autovacuum does it in production), PostgreSQL planned a
 * one-row claim as hash joins over the whole deliveries and events tables: 7 ms per claim at
 * 20,000 deliveries, growing with the backlog, so a worker slowed down exactly while draining an
 * outage's backlog. The plans are read from auto_explain, which logs every statement the
 * functions run, with its plan, back to this client.
 */
const BACKLOG = 20_000;
let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
  await subscriptionWithBacklog(t, 'plans', 'plans.test', BACKLOG);
  await t.query('VACUUM ANALYZE herald.deliveries, herald.events');
}, 120_000);
afterAll(() => t?.drop());

/** Runs `work` on a connection that gets the plan of every statement, nested ones included. */
async function plansOf(work: (c: pg.Client) => Promise<void>): Promise<string[]> {
  const explaining = await explainingClient(t.url);
  try {
    await explaining.record();
    await work(explaining.client);
    return await explaining.plans();
  } finally {
    await explaining.end();
  }
}

describe('delivery functions on analysed tables with a backlog', () => {
  it('claim, complete, fail, renew and hand back by key, never reading a whole table', async () => {
    const claim = async (c: pg.Client, n: number) =>
      (
        await c.query<{ delivery_id: number; attempt: number }>(
          `SELECT delivery_id, attempt FROM herald.claim_many('w1', ARRAY['plans'], ARRAY[$1::int])`,
          [n],
        )
      ).rows;
    const plans = await plansOf(async (c) => {
      // More calls than PostgreSQL's five custom plans, so the cached generic plan is used too.
      for (let i = 0; i < 7; i++) expect(await claim(c, 1)).toHaveLength(1);
      const batch = await claim(c, 200);
      expect(batch).toHaveLength(200);
      const [ok, bad, kept, back] = [
        batch.slice(0, 50),
        batch.slice(50, 100),
        batch.slice(100, 150),
        batch.slice(150),
      ];
      const ids = (rows: typeof batch) => rows.map((r) => r.delivery_id);
      const attempts = (rows: typeof batch) => rows.map((r) => r.attempt);
      for (let i = 0; i < 6; i++) {
        const part = ok.slice(i * 8, i * 8 + 8);
        if (part.length === 0) break;
        const done = await c.query('SELECT * FROM herald.complete_many($1, $2, $3, $4, $5::jsonb[], $6)', [
          'w1',
          ids(part),
          attempts(part),
          part.map(() => new Date()),
          part.map(() => null),
          part.map(() => false),
        ]);
        expect(done.rowCount).toBe(part.length);
      }
      const failed = await c.query(
        'SELECT * FROM herald.fail_many($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb[])',
        [
          'w1',
          ids(bad),
          attempts(bad),
          bad.map(() => new Date()),
          bad.map(() => 'provider down'),
          bad.map(() => null),
          bad.map(() => 'http_503'),
          bad.map(() => null),
          bad.map(() => false),
          bad.map(() => null),
        ],
      );
      expect(failed.rowCount).toBe(bad.length);
      const renewed = await c.query('SELECT * FROM herald.heartbeat($1, $2)', ['w1', ids(kept)]);
      expect(renewed.rowCount).toBe(kept.length);
      const released = await c.query('SELECT herald.release($1, $2, $3) AS n', [
        'w1',
        ids(back),
        attempts(back),
      ]);
      expect(released.rows[0].n).toBe(back.length);
      await c.query('SELECT herald.rescue_expired(1000)');
    });
    expect(plans.length).toBeGreaterThan(20); // auto_explain did report the nested statements
    expect(wholeTableReads(plans)).toEqual([]);
  });
});
