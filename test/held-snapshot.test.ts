import type pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscriptionsFor } from '../lib/subscriptions/define';
import { CLAIM_FLOOR_MARGIN_MS, ClaimFloors } from '../worker/claim-floor';
import * as q from '../worker/queries';
import { testChannels } from './fixtures/channels';
import { createTestDatabase, type TestDatabase, waitFor } from './helpers/db';
import { inProcessWorker } from './helpers/in-process-worker';

/**
 * While another session holds a snapshot open, no scan may drop the index entries of rows that
 * changed since it began. Claim floors (worker/claim-floor.ts, sql/functions/claim_many.sql): a
 * claim that starts at its floor reads a handful of entries where one that starts at the
 * beginning reads every delivery claimed since the snapshot began; and a row that became visible
 * below the floor (its transaction began long before it committed) is still delivered, once.
 */
const subscribe = subscriptionsFor(testChannels);
const silent = pino({ level: 'silent' });
let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t?.drop());

/**
 * The entries this backend has read from deliveries_runnable and not yet reported (PostgreSQL
 * reports them at most once a second, at a transaction's end): a difference within one
 * transaction is what its statements read.
 */
async function entriesRead(client: pg.PoolClient, index = 'herald.deliveries_runnable'): Promise<number> {
  const { rows } = await client.query<{ n: string }>(
    `SELECT pg_stat_get_xact_tuples_returned($1::regclass) AS n`,
    [index],
  );
  return Number(rows[0]!.n);
}

/** One claim in its own transaction; returns the rows and the entries it read from deliveries_runnable. */
async function claimCounted(
  client: pg.PoolClient,
  subscription: string,
  limit: number,
  floor: number | null,
) {
  await client.query('BEGIN');
  try {
    const before = await entriesRead(client);
    const rows = await q.claim(client, 'w-floor', [subscription], [limit], [floor]);
    const after = await entriesRead(client);
    await client.query('COMMIT');
    return { rows, entriesRead: after - before };
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

async function completeAll(client: pg.PoolClient, rows: q.ClaimedRow[]) {
  await q.completeMany(
    client,
    'w-floor',
    rows.map((row) => ({ row, startedAt: Date.now(), result: null })),
  );
}

describe('claims while a snapshot is held open', () => {
  it('read a few entries from the floor, where a claim from the beginning reads every claimed row', async () => {
    for (const name of ['with-floor', 'no-floor'])
      await t.query(`INSERT INTO herald.subscriptions (name, channel_pattern) VALUES ($1, 'held.event')`, [
        name,
      ]);
    await t.query(`SELECT herald.register_worker('w-floor', 'test', 1, ARRAY['with-floor', 'no-floor'])`);
    const holder = await t.pool.connect();
    const [floored, plain, publisher] = [
      await t.pool.connect(),
      await t.pool.connect(),
      await t.pool.connect(),
    ];
    const floors = new ClaimFloors(t.pool, silent, () => {});
    try {
      await holder.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await holder.query('SELECT 1');
      // A steady stream, one transaction per 10 events (each with its own run_at), drained by both
      // subscriptions as it comes.
      const readWith: number[] = [];
      const readWithout: number[] = [];
      const aboveFloor: number[] = [];
      let published = 0;
      while (published < 3_000) {
        await publisher.query(
          `SELECT herald.publish('held.event', jsonb_build_object('n', i)) FROM generate_series(1, 10) i`,
        );
        published += 10;
        // Half-way, statistics as autovacuum would gather them: the floor must keep the claim short
        // on an analysed table too (a bound the planner can leave out of the index scan would not:
        // that is how a bounded rescue failed, migration 0028). The cached plans are made again.
        if (published === 1_500) await publisher.query('ANALYZE herald.deliveries, herald.events');
        const floor = floors.for(['with-floor'])[0]!;
        // What a claim from this floor may read: the entries of rows at or above it, claimed or not.
        const [above] = await t.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM herald.deliveries
           WHERE subscription = 'with-floor' AND run_at >= to_timestamp($1::float8 / 1000)`,
          [floor ?? 0],
        );
        const a = await claimCounted(floored, 'with-floor', 10, floor);
        floors.claimed(a.rows);
        await completeAll(floored, a.rows);
        readWith.push(a.entriesRead);
        aboveFloor.push(above!.n);
        const b = await claimCounted(plain, 'no-floor', 10, null);
        await completeAll(plain, b.rows);
        readWithout.push(b.entriesRead);
      }
      const last = (a: number[]) => Math.max(...a.slice(-20));
      console.log(
        `entries read per claim, last 20 claims: with a floor ≤ ${last(readWith)}, from the beginning ≤ ${last(readWithout)}`,
      );
      // From the beginning: every row claimed since the snapshot (~3,000). From the floor: the rows
      // at or above it, the stream's last CLAIM_FLOOR_MARGIN_MS (as many as it published in that
      // time, however long the snapshot is held), each claim against its own count.
      console.log(`rows at or above the floor, last 20 claims: ≤ ${last(aboveFloor)}`);
      expect(Math.min(...readWithout.slice(-20))).toBeGreaterThan(2_500);
      for (let i = readWith.length - 20; i < readWith.length; i++)
        expect(readWith[i], `claim ${i}`).toBeLessThanOrEqual(aboveFloor[i]! + 20);
      expect(last(readWith)).toBeLessThan(Math.min(...readWithout.slice(-20)) / 3);
      const [pending] = await t.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM herald.deliveries WHERE state <> 'succeeded'`,
      );
      expect(pending!.n).toBe(0);
    } finally {
      await holder.query('ROLLBACK');
      for (const c of [holder, floored, plain, publisher]) c.release();
    }
  });
});

describe('a row that becomes visible below the floor', () => {
  it('is delivered once: the probe finds it and lowers the floor', async () => {
    const handled: number[] = [];
    const sub = subscribe({
      name: 'late',
      pattern: 'late.*',
      handler: async (payload) => {
        handled.push((payload as { n: number }).n);
        return null;
      },
    });
    const worker = inProcessWorker(t, [sub]);
    await worker.start();
    const slow = await t.pool.connect();
    try {
      // A publisher's transaction: run_at is its start, and it commits much later.
      await slow.query('BEGIN');
      await slow.query(`SELECT herald.publish('late.event', '{"n": 0}')`);
      const [{ began }] = (
        await slow.query<{ began: string }>(`SELECT extract(epoch FROM now()) * 1000 AS began`)
      ).rows as [{ began: string }];
      // Meanwhile the worker claims newer rows, until it has claimed one whose run_at puts the
      // floor above the slow transaction's row.
      let n = 1;
      await waitFor('a claim past the slow transaction, beyond the margin', async () => {
        await t.query(`SELECT herald.publish('late.event', jsonb_build_object('n', $1::int))`, [n++]);
        const [past] = await t.query<{ ok: boolean }>(
          `SELECT bool_or(extract(epoch FROM run_at) * 1000 - $1::float8 > $2 + 50) AS ok
           FROM herald.deliveries WHERE subscription = 'late' AND state = 'succeeded'`,
          [began, CLAIM_FLOOR_MARGIN_MS],
        );
        return past?.ok === true;
      });
      expect(handled).not.toContain(0);
      await slow.query('COMMIT');
      await waitFor('the late row delivered', async () => handled.includes(0), 15_000);
      const published = n;
      await waitFor('every row delivered', async () => handled.length >= published);
      expect(handled.filter((x) => x === 0)).toHaveLength(1);
      expect(new Set(handled).size).toBe(handled.length);
    } finally {
      slow.release();
      await worker.stop();
    }
  });

  it('publishers with transactions of every length, two workers: each event delivered exactly once', async () => {
    const handled: number[] = [];
    const sub = subscribe({
      name: 'mixed',
      pattern: 'mixed.*',
      concurrency: 5,
      handler: async (payload) => {
        handled.push((payload as { n: number }).n);
        return null;
      },
    });
    const workers = [inProcessWorker(t, [sub]), inProcessWorker(t, [sub])];
    for (const w of workers) await w.start();
    const total = 400;
    try {
      // 8 publishers; each transaction lasts 0–600 ms (past the margin about half the time).
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          const c = await t.pool.connect();
          try {
            while (next < total) {
              const n = next++;
              await c.query('BEGIN');
              await c.query(`SELECT herald.publish('mixed.event', jsonb_build_object('n', $1::int))`, [n]);
              await new Promise((r) => setTimeout(r, (n * 7919) % 600));
              await c.query('COMMIT');
            }
          } finally {
            c.release();
          }
        }),
      );
      await waitFor('every event delivered', async () => handled.length >= total, 30_000);
      await new Promise((r) => setTimeout(r, 300)); // room for a duplicate to show
      expect(handled).toHaveLength(total);
      expect(new Set(handled).size).toBe(total);
    } finally {
      for (const w of workers) await w.stop();
    }
  });
});
