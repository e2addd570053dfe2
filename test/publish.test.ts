import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, createPool } from '../lib/db/client';
import { HeraldError } from '../lib/errors';
import { createPublisher, publish } from '../lib/publish';
import { syncSubscriptions } from '../lib/subscriptions/sync';
import { testChannels } from './fixtures/channels';
import { subscriptions } from './fixtures/subscriptions';
import { createTestDatabase, type TestDatabase } from './helpers/db';

let t: TestDatabase;
const { publish: publishTest, publishMany } = createPublisher(testChannels);

beforeAll(async () => {
  t = await createTestDatabase();
  await syncSubscriptions(t.db, subscriptions, 30_000);
  // A subscription to a channel no test publishes to: it must get no deliveries.
  await t.query(`INSERT INTO herald.subscriptions (name, channel_pattern) VALUES ('unrelated', 'billing.*')`);
});
afterAll(() => t?.drop());

async function count(table: string, where = 'true'): Promise<number> {
  const [row] = await t.query<{ n: number }>(`SELECT count(*)::int AS n FROM herald.${table} WHERE ${where}`);
  return row!.n;
}

describe('publish in the caller transaction', () => {
  it('leaves no event and no delivery when the transaction rolls back', async () => {
    const before = [await count('events'), await count('deliveries')];
    await expect(
      t.db.transaction(async (tx) => {
        await tx.execute(sql`CREATE TEMP TABLE orders (id int)`);
        await publishTest(tx, 'test.event', { n: 1 });
        throw new Error('the caller changed its mind');
      }),
    ).rejects.toThrow('changed its mind');
    expect([await count('events'), await count('deliveries')]).toEqual(before);
  });

  it('commits one delivery per matching subscription, exact and pattern', async () => {
    const event = await t.db.transaction((tx) => publishTest(tx, 'test.event', { n: 2 }, { key: 'order:2' }));
    const rows = await t.query<{ subscription: string; state: string }>(
      'SELECT subscription, state FROM herald.deliveries WHERE event_id = $1 ORDER BY subscription',
      [event.id],
    );
    expect(rows).toEqual([
      { subscription: 'everything', state: 'pending' },
      { subscription: 'recorder', state: 'pending' },
    ]);
    const other = await publishTest(t.db, 'test.other', { n: 3 });
    expect(await count('deliveries', `event_id = ${other.id}`)).toBe(1); // only the pattern subscription
  });

  it('gives plain SQL publishers exactly the same fan-out', async () => {
    const [row] = await t.query<{ id: number }>(
      `SELECT herald.publish('test.event', '{"n": 4}'::jsonb, 'order:4') AS id`,
    );
    const subs = await t.query<{ subscription: string }>(
      'SELECT subscription FROM herald.deliveries WHERE event_id = $1 ORDER BY 1',
      [row!.id],
    );
    expect(subs.map((s) => s.subscription)).toEqual(['everything', 'recorder']);
    // A bare INSERT fans out too.
    const [ins] = await t.query<{ id: number }>(
      `INSERT INTO herald.events (channel, payload) VALUES ('test.event', '{"n": 5}') RETURNING id`,
    );
    expect(await count('deliveries', `event_id = ${ins!.id}`)).toBe(2);
  });

  it('prepares its statement once per connection, inside a transaction too', async () => {
    // Drizzle does not publish the connection a transaction holds; if an upgrade moves it,
    // publish still works but plans its statement on every call, and this test says so. A pool
    // of its own, so no earlier publish prepared the statement on this connection already.
    const pool = createPool(t.url, { max: 1 });
    try {
      const prepared = await createDb(pool).transaction(async (tx) => {
        await publishTest(tx, 'test.event', { n: 40 });
        const rows = await tx.execute<{ n: number }>(
          sql`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name = 'herald_publish_one'`,
        );
        return rows.rows[0]!.n;
      });
      expect(prepared).toBe(1);
    } finally {
      await pool.end();
    }
  });

  it('fans out a plain INSERT made after publish() in the same transaction', async () => {
    // publish() writes its own deliveries and switches the trigger off for its insert only.
    const [published, inserted] = await t.db.transaction(async (tx) => {
      const event = await publishTest(tx, 'test.event', { n: 41 });
      const rows = await tx.execute<{ id: number }>(
        sql`INSERT INTO herald.events (channel, payload) VALUES ('test.event', '{"n": 42}') RETURNING id`,
      );
      return [event.id, rows.rows[0]!.id];
    });
    expect(await count('deliveries', `event_id = ${published}`)).toBe(2);
    expect(await count('deliveries', `event_id = ${inserted}`)).toBe(2);
  });

  it('fans out a plain INSERT after a publish() that failed inside a savepoint', async () => {
    await t.query(
      "CREATE UNIQUE INDEX IF NOT EXISTS test_events_no_43 ON herald.events ((payload->>'n')) WHERE payload->>'n' = '43'",
    );
    try {
      const inserted = await t.db.transaction(async (tx) => {
        await publishTest(tx, 'test.event', { n: 43 });
        // The second identical publish breaks the index above inside publish_one; the caller
        // recovers at its savepoint and carries on.
        await expect(tx.transaction((sp) => publishTest(sp, 'test.event', { n: 43 }))).rejects.toThrow();
        const rows = await tx.execute<{ id: number }>(
          sql`INSERT INTO herald.events (channel, payload) VALUES ('test.event', '{"n": 44}') RETURNING id`,
        );
        return rows.rows[0]!.id;
      });
      expect(await count('deliveries', `event_id = ${inserted}`)).toBe(2);
    } finally {
      await t.query('DROP INDEX IF EXISTS herald.test_events_no_43');
    }
  });

  it('returns the first event for a repeated idempotency key and creates nothing', async () => {
    const first = await publishTest(t.db, 'test.event', { n: 6 }, { idempotencyKey: 'idem-6' });
    const again = await publishTest(t.db, 'test.event', { n: 999 }, { idempotencyKey: 'idem-6' });
    expect(first.duplicate).toBe(false);
    expect(again).toMatchObject({ id: first.id, duplicate: true });
    expect(await count('events', `idempotency_key = 'idem-6'`)).toBe(1);
    const [sqlRepeat] = await t.query<{ id: number }>(
      `SELECT herald.publish('test.event', '{"n": 7}', NULL, 'idem-6') AS id`,
    );
    expect(sqlRepeat!.id).toBe(first.id);
    // The same key on another channel is another event.
    const elsewhere = await publishTest(t.db, 'test.other', { n: 8 }, { idempotencyKey: 'idem-6' });
    expect(elsewhere.id).not.toBe(first.id);
  });

  it('holds the idempotency key under 20 concurrent publishers', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.db.transaction((tx) => publishTest(tx, 'test.event', { n: 100 + i }, { idempotencyKey: 'race' })),
      ),
    );
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(await count('events', `idempotency_key = 'race'`)).toBe(1);
    expect(await count('deliveries', `event_id = ${results[0]!.id}`)).toBe(2);
  });

  it('can answer with exactly the event’s own deliveries in the same round trip', async () => {
    for (let n = 0; n < 3; n++) {
      const [event] = await publishMany(t.db, [{ channel: 'test.event', payload: { n } }], {
        withDeliveries: true,
      });
      const own = await t.query<{ id: number }>(
        'SELECT id FROM herald.deliveries WHERE event_id = $1 ORDER BY id',
        [event!.id],
      );
      expect(event!.deliveries?.map((d) => d.id)).toEqual(own.map((d) => d.id));
    }
  });

  it('publishes a batch in one round trip, resolving repeats inside the batch', async () => {
    const events = await publishMany(t.db, [
      { channel: 'test.event', payload: { n: 10 }, options: { idempotencyKey: 'b-1' } },
      { channel: 'test.other', payload: { n: 11 } },
      { channel: 'test.event', payload: { n: 12 }, options: { idempotencyKey: 'b-1' } },
    ]);
    expect(events[0]!.duplicate).toBe(false);
    expect(events[2]).toMatchObject({ id: events[0]!.id, duplicate: true });
    expect(await count('deliveries', `event_id IN (${events.map((e) => e.id).join(',')})`)).toBe(3);
  });

  it('delays delivery with runAt and delayMs', async () => {
    const at = new Date(Date.now() + 3_600_000);
    const later = await publishTest(t.db, 'test.event', { n: 13 }, { runAt: at });
    const [d] = await t.query<{ run_at: Date }>(
      'SELECT run_at FROM herald.deliveries WHERE event_id = $1 LIMIT 1',
      [later.id],
    );
    expect(Math.abs(d!.run_at.getTime() - at.getTime())).toBeLessThan(1000);
    const delayed = await publishTest(t.db, 'test.event', { n: 14 }, { delayMs: 60_000 });
    const [e] = await t.query<{ s: number }>(
      'SELECT extract(epoch from run_at - now())::int AS s FROM herald.deliveries WHERE event_id = $1 LIMIT 1',
      [delayed.id],
    );
    expect(e!.s).toBeGreaterThan(50);
  });

  it('refuses unknown channels and invalid payloads with clear errors, writing nothing', async () => {
    const before = await count('events');
    // @ts-expect-error — an unknown channel is a compile-time error…
    const unknown = publish(t.db, 'order.aproved', { orderId: '1' });
    await expect(unknown).rejects.toMatchObject({ code: 'unknown_channel' });

    // @ts-expect-error — …and so is a payload of the wrong shape.
    const wrong = publish(t.db, 'order.approved', { orderId: 1042 });
    const error = await wrong.catch((e) => e);
    expect(error).toBeInstanceOf(HeraldError);
    expect(error.code).toBe('invalid_payload');
    expect(error.details.map((d: { path: string }) => d.path)).toEqual(
      expect.arrayContaining(['orderId', 'customer', 'total']),
    );

    const nul = await publishTest(t.db, 'test.other', { n: 1 }, { key: 'a\u0000b' }).catch((e) => e);
    expect(nul.code).toBe('invalid_payload');
    const batch = await publishMany(t.db, [
      { channel: 'test.event', payload: { n: 1 } },
      { channel: 'test.event', payload: { n: 'two' as unknown as number } },
    ]).catch((e) => e);
    expect(batch.details).toEqual([expect.objectContaining({ index: 1, path: 'n' })]);
    expect(await count('events')).toBe(before);
  });

  it('publishes the seed channels with their schemas', async () => {
    const order = await publish(
      t.db,
      'order.approved',
      {
        orderId: '1042',
        customer: { email: 'ada@example.com', name: 'Ada Lovelace' },
        total: 99.5,
      },
      { key: 'order:1042' },
    );
    const [row] = await t.query<{ payload: { currency: string } }>(
      'SELECT payload FROM herald.events WHERE id = $1',
      [order.id],
    );
    expect(row!.payload.currency).toBe('USD'); // schema default applied at publish time
    await expect(publish(t.db, 'sms', { to: '555', msg: 'hi' })).rejects.toMatchObject({
      code: 'invalid_payload',
    });
    await expect(publish(t.db, 'email.send', { to: 'a@b.co', subject: 'no body' })).rejects.toMatchObject({
      code: 'invalid_payload',
    });
  });
});
