import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPublisher } from '../lib/publish';
import { testChannels } from './fixtures/channels';
import { createTestDatabase, type TestDatabase, waitFor } from './helpers/db';

/**
 * An attempt belongs to a delivery and goes with it. Since migration 0018 that is kept by
 * statement-level triggers instead of a per-row foreign key; these tests hold the triggers to
 * everything the key guaranteed, the races between an outcome and a deletion included. Since
 * migration 0019 a success stays on its delivery's row and `herald.attempts` shows both.
 */
const { publishMany } = createPublisher(testChannels);
let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t?.drop());

beforeEach(async () => {
  await t.query('TRUNCATE herald.events CASCADE');
  await t.query('DELETE FROM herald.subscriptions');
  await t.query(`INSERT INTO herald.subscriptions (name, channel_pattern) VALUES ('mailer', 'test.event')`);
});

/** Publishes `n` events and claims their deliveries for worker `w1`. */
async function claimed(n: number): Promise<number[]> {
  await publishMany(
    t.db,
    Array.from({ length: n }, (_, i) => ({ channel: 'test.event' as const, payload: { n: i } })),
  );
  const rows = await t.query<{ delivery_id: number }>(
    `SELECT delivery_id FROM herald.claim('w1', 'mailer', $1)`,
    [n],
  );
  return rows.map((r) => Number(r.delivery_id)).sort((a, b) => a - b);
}

const attemptsOf = async (ids: number[]) =>
  (
    await t.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM herald.attempts WHERE delivery_id = ANY($1)',
      [ids],
    )
  )[0]!.n;

/**
 * A check that the connection's backend is waiting for a lock held by another transaction.
 * Made before the connection is given the statement that will wait: it asks the backend's id.
 */
async function waitsForLock(client: pg.PoolClient) {
  const [{ pid }] = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [
    { pid: number },
  ];
  return async () => {
    const [row] = await t.query<{ waiting: boolean }>(
      `SELECT wait_event_type = 'Lock' AS waiting FROM pg_stat_activity WHERE pid = $1`,
      [pid],
    );
    return row?.waiting === true;
  };
}

describe('attempts follow their deliveries', () => {
  it('refuses an attempt, or an attempt moved, to a delivery that does not exist', async () => {
    const [id] = await claimed(1);
    const insert = t.query(
      `INSERT INTO herald.attempt_log (delivery_id, attempt, started_at, outcome) VALUES (987654321, 1, now(), 'failed')`,
    );
    await expect(insert).rejects.toMatchObject({ code: '23503' });
    // One bad row among good ones: the whole statement is refused.
    const mixed = t.query(
      `INSERT INTO herald.attempt_log (delivery_id, attempt, started_at, outcome)
       VALUES ($1, 1, now(), 'failed'), (987654321, 1, now(), 'failed')`,
      [id],
    );
    await expect(mixed).rejects.toMatchObject({ code: '23503' });
    expect(await attemptsOf([id!, 987654321])).toBe(0);

    await t.query(
      `INSERT INTO herald.attempt_log (delivery_id, attempt, started_at, outcome) VALUES ($1, 1, now(), 'lost')`,
      [id],
    );
    expect(await attemptsOf([id!])).toBe(1);
    const moved = t.query('UPDATE herald.attempt_log SET delivery_id = 987654321 WHERE delivery_id = $1', [
      id,
    ]);
    await expect(moved).rejects.toMatchObject({ code: '23503' });
    expect(await attemptsOf([id!])).toBe(1);
  });

  it('keeps a success on its delivery row, shown in herald.attempts after the logged attempts', async () => {
    const [id] = await claimed(1);
    await t.query(`SELECT * FROM herald.fail('w1', $1, 1, 'HTTP 503', 0)`, [id]);
    await t.query(`SELECT delivery_id FROM herald.claim('w1', 'mailer', 1)`);
    const result = { messageId: 'b7bc2f4a-e38e-4336-af7d-e6c392c2f817' };
    const [done] = await t.query<{ ok: boolean }>(`SELECT herald.complete('w1', $1, 2, $2) AS ok`, [
      id,
      result,
    ]);
    expect(done!.ok).toBe(true);

    const shown = await t.query<{
      id: string;
      attempt: number;
      outcome: string;
      worker: string;
      result: unknown;
    }>(
      'SELECT id, attempt, outcome, worker, result FROM herald.attempts WHERE delivery_id = $1 ORDER BY id',
      [id],
    );
    expect(shown.map((a) => [a.attempt, a.outcome, a.worker])).toEqual([
      [1, 'failed', 'w1'],
      [2, 'succeeded', 'w1'],
    ]);
    expect(shown[1]!.result).toEqual(result);
    // The success wrote no row of its own.
    const [logged] = await t.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM herald.attempt_log WHERE delivery_id = $1',
      [id],
    );
    expect(logged!.n).toBe(1);
    // A second completion of the same attempt is fenced off and changes nothing.
    const [again] = await t.query<{ ok: boolean }>(`SELECT herald.complete('w1', $1, 2, '{}') AS ok`, [id]);
    expect(again!.ok).toBe(false);
    const [kept] = await t.query<{ id: string; result: unknown }>(
      `SELECT id, result FROM herald.attempts WHERE delivery_id = $1 AND outcome = 'succeeded'`,
      [id],
    );
    expect(kept).toEqual({ id: shown[1]!.id, result });
  });

  it('deleting a delivery unlinks the email records of its attempts, logged or on the row', async () => {
    const [id] = await claimed(1);
    await t.query(`SELECT * FROM herald.fail('w1', $1, 1, 'HTTP 503', 0, false, NULL)`, [id]);
    const [failed] = await t.query<{ id: string }>(
      'SELECT id FROM herald.attempt_log WHERE delivery_id = $1',
      [id],
    );
    await t.query(`SELECT delivery_id FROM herald.claim('w1', 'mailer', 1)`);
    await t.query(`SELECT herald.complete('w1', $1, 2, '{"messageId": "m-2"}')`, [id]);
    const [success] = await t.query<{ id: string }>(
      `SELECT id FROM herald.attempts WHERE delivery_id = $1 AND outcome = 'succeeded'`,
      [id],
    );
    for (const [n, attempt] of [
      [1, failed!.id],
      [2, success!.id],
    ] as const) {
      await t.query(
        `INSERT INTO herald.email_events (record_type, message_id, attempt_id, delivery_id, dedupe_key, payload)
         VALUES ('Delivery', $1, $2, $3, $1, '{}')`,
        [`m-${n}`, attempt, id],
      );
    }
    await t.query('DELETE FROM herald.deliveries WHERE id = $1', [id]);
    const records = await t.query<{ attempt_id: string | null; delivery_id: string | null }>(
      `SELECT attempt_id, delivery_id FROM herald.email_events WHERE message_id IN ('m-1', 'm-2')`,
    );
    expect(records).toEqual([
      { attempt_id: null, delivery_id: null },
      { attempt_id: null, delivery_id: null },
    ]);
  });

  it('deleting deliveries, their subscription or their events, or truncating, removes their attempts', async () => {
    const ids = await claimed(6);
    await t.query(`SELECT herald.complete('w1', id, 1) FROM unnest($1::bigint[]) AS id`, [ids]);
    expect(await attemptsOf(ids)).toBe(6);

    await t.query('DELETE FROM herald.deliveries WHERE id = $1', [ids[0]]);
    expect(await attemptsOf(ids)).toBe(5);
    await t.query(
      'DELETE FROM herald.events WHERE id = (SELECT event_id FROM herald.deliveries WHERE id = $1)',
      [ids[1]],
    );
    expect(await attemptsOf(ids)).toBe(4);
    await t.query(`DELETE FROM herald.subscriptions WHERE name = 'mailer'`);
    expect(await attemptsOf(ids)).toBe(0);

    await t.query(`INSERT INTO herald.subscriptions (name, channel_pattern) VALUES ('mailer', 'test.event')`);
    const more = await claimed(3);
    await t.query(`SELECT herald.complete('w1', id, 1) FROM unnest($1::bigint[]) AS id`, [more]);
    await t.query('TRUNCATE herald.events CASCADE');
    const [left] = await t.query<{ n: number }>('SELECT count(*)::int AS n FROM herald.attempts');
    expect(left!.n).toBe(0);
  });

  it('a delivery deleted while its outcome is being written takes the new attempt with it', async () => {
    const [id] = await claimed(1);
    const worker = await t.pool.connect();
    const deleter = await t.pool.connect();
    try {
      const deleterWaits = await waitsForLock(deleter);
      await worker.query('BEGIN');
      const [done] = (await worker.query(`SELECT herald.complete('w1', $1, 1) AS ok`, [id])).rows;
      expect(done.ok).toBe(true);
      // The outcome's UPDATE holds the delivery: the DELETE must wait for it to commit.
      const deleting = deleter.query('DELETE FROM herald.deliveries WHERE id = $1', [id]);
      await waitFor('the DELETE to wait for the outcome', deleterWaits);
      await worker.query('COMMIT');
      expect((await deleting).rowCount).toBe(1);
    } finally {
      worker.release();
      deleter.release();
    }
    expect(await attemptsOf([id!])).toBe(0);
  });

  it('an outcome written while its delivery is being deleted records nothing', async () => {
    const [id] = await claimed(1);
    const worker = await t.pool.connect();
    const deleter = await t.pool.connect();
    try {
      const workerWaits = await waitsForLock(worker);
      await deleter.query('BEGIN');
      await deleter.query('DELETE FROM herald.deliveries WHERE id = $1', [id]);
      const completing = worker.query(`SELECT herald.complete('w1', $1, 1) AS ok`, [id]);
      await waitFor('the outcome to wait for the DELETE', workerWaits);
      await deleter.query('COMMIT');
      const [done] = (await completing).rows;
      expect(done.ok).toBe(false);
    } finally {
      worker.release();
      deleter.release();
    }
    expect(await attemptsOf([id!])).toBe(0);
  });
});
