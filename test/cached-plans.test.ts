import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db';
import { explainingClient, publishWithSql, subscriptionWithBacklog, wholeTableReads } from './helpers/plans';

/**
 * A connection caches a generic plan for a statement after five runs and keeps it until the
 * table's statistics change, which on a server without autovacuum is never. Planned while the
 * tables held a few rows, a sequential scan is the cheapest plan, and it stays one as the table
 * grows: the foreign-key check of every delivery read all of `events` (7 ms per delivery at
 * 50,000 events; a 1,000-event batch over HTTP took 4–8 s). A web server or a worker started on
 * a new installation is exactly that connection. Migration 0015 makes Herald's functions, and
 * the checks their writes fire, plan on the indexes whatever the tables held at first.
 */
const GROWTH = 20_000;
let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
  await subscriptionWithBacklog(t, 'cached', 'cached.test', 0);
}, 120_000);
afterAll(() => t?.drop());

type Claimed = { delivery_id: number; attempt: number };

/** One of everything Herald's long-lived connections run, on connection `c`. */
async function everyPath(c: pg.Client, n: number) {
  const payload = JSON.stringify({ n });
  // The three ways in: the single publish (inline fan-out), plain SQL, a multi-row INSERT.
  await c.query(
    `SELECT * FROM herald.publish_one('cached.test', $1::jsonb, NULL, NULL, NULL, 'test', false)`,
    [payload],
  );
  await c.query(`SELECT herald.publish('cached.test', $1::jsonb)`, [payload]);
  await c.query(
    `INSERT INTO herald.events (channel, payload) SELECT 'cached.test', jsonb_build_object('n', i) FROM generate_series(1, 3) i`,
  );
  const claimed = (
    await c.query<Claimed>(
      `SELECT delivery_id, attempt FROM herald.claim_many('w1', ARRAY['cached'], ARRAY[4])`,
    )
  ).rows;
  expect(claimed).toHaveLength(4);
  const [done, failed, renewed, back] = claimed as [Claimed, Claimed, Claimed, Claimed];
  const completed = await c.query('SELECT * FROM herald.complete_many($1, $2, $3, $4, $5::jsonb[], $6)', [
    'w1',
    [done.delivery_id],
    [done.attempt],
    [new Date()],
    [JSON.stringify({ messageId: `m-${n}` })], // links Postmark's records (link_email_events)
    [false],
  ]);
  expect(completed.rowCount).toBe(1);
  const retried = await c.query(
    'SELECT * FROM herald.fail_many($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb[])',
    [
      'w1',
      [failed.delivery_id],
      [failed.attempt],
      [new Date()],
      ['down'],
      [null],
      ['http_503'],
      [null],
      [false],
      [null],
    ],
  );
  expect(retried.rowCount).toBe(1);
  expect(
    (await c.query('SELECT * FROM herald.heartbeat($1, $2)', ['w1', [renewed.delivery_id]])).rowCount,
  ).toBe(1);
  await c.query('SELECT herald.release($1, $2, $3)', [
    'w1',
    [renewed.delivery_id, back.delivery_id],
    [renewed.attempt, back.attempt],
  ]);
  await c.query('SELECT herald.rescue_expired(1000)');
  await c.query('SELECT herald.roll_up()');
  await c.query(`SELECT herald.prune_history(interval '30 days', interval '30 days')`);
}

it('plans cached while the tables were small still find rows by key once they are large', async () => {
  const explaining = await explainingClient(t.url);
  try {
    // More runs than PostgreSQL's five custom plans: from the sixth on, the cached generic plans.
    for (let n = 0; n < 7; n++) await everyPath(explaining.client, n);

    // The tables grow behind this connection's back, and nothing analyses them.
    await publishWithSql(t, 'cached.test', GROWTH);
    await t.query(
      `INSERT INTO herald.email_events (record_type, message_id, dedupe_key, payload)
       SELECT 'Delivery', 'other-' || i, 'dedupe-' || i, '{}' FROM generate_series(1, $1) i`,
      [GROWTH],
    );

    await explaining.record();
    await everyPath(explaining.client, 100);
    const plans = await explaining.plans();
    // auto_explain did report the nested statements, the foreign-key checks among them.
    expect(plans.length).toBeGreaterThan(20);
    expect(plans.filter((p) => p.includes('FOR KEY SHARE')).length).toBeGreaterThanOrEqual(2);
    expect(wholeTableReads(plans)).toEqual([]);
    // A plan that must still read a table whole (no index fits) carries the cost PostgreSQL
    // gives disabled paths, far above jit_above_cost: none of these may be compiled for it.
    expect(plans.filter((p) => p.includes('JIT:')).map((p) => p.slice(0, 300))).toEqual([]);
  } finally {
    await explaining.end();
  }
}, 120_000);
