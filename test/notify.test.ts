import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher } from '../lib/publish';
import { syncSubscriptions } from '../lib/subscriptions/sync';
import { testChannels } from './fixtures/channels';
import { subscriptions } from './fixtures/subscriptions';
import { createTestDatabase, type TestDatabase, waitFor } from './helpers/db';

/**
 * NOTIFY discipline: a notifying commit takes a database-wide lock, so publishers notify only
 * when a worker says it is waiting, at most once per transaction, with an empty payload.
 * Notifications arrive in commit order, so a marker sent after a publish proves whether the
 * publish notified: anything it sent would arrive before the marker.
 */
const { publish } = createPublisher(testChannels);
let t: TestDatabase;
let listener: pg.Client;
const received: string[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  await syncSubscriptions(t.db, subscriptions, 30_000);
  listener = new pg.Client({ connectionString: t.url });
  await listener.connect();
  listener.on('notification', (n) => received.push(n.payload ?? ''));
  await listener.query('LISTEN herald_wakeup');
  await t.query(`SELECT herald.register_worker('w1', 'host', 1, ARRAY['recorder'])`);
});
afterAll(async () => {
  await listener?.end();
  await t?.drop();
});

async function marker(name: string) {
  await t.query(`SELECT pg_notify('herald_wakeup', $1)`, [name]);
  await waitFor(`marker ${name}`, async () => received.includes(name));
}

describe('NOTIFY discipline', () => {
  it('does not notify while no worker is waiting', async () => {
    await t.db.transaction(async (tx) => {
      for (let n = 0; n < 5; n++) await publish(tx, 'test.event', { n });
    });
    await marker('m1');
    expect(received).toEqual(['m1']);
  });

  it('notifies once per transaction, with an empty payload, when a worker waits', async () => {
    await t.query(`SELECT herald.set_worker_waiting('w1', true)`);
    await t.db.transaction(async (tx) => {
      for (let n = 0; n < 5; n++) await publish(tx, 'test.event', { n, mode: 'ok' });
    });
    await marker('m2');
    expect(received).toEqual(['m1', '', 'm2']);
  });

  it('stops notifying once the worker has claimed work', async () => {
    const claimed = await t.query(`SELECT * FROM herald.claim('w1', 'recorder', 1)`);
    expect(claimed).toHaveLength(1);
    await publish(t.db, 'test.event', { n: 99 });
    await marker('m3');
    expect(received).toEqual(['m1', '', 'm2', 'm3']);
  });

  it('can be switched off for a database or session', async () => {
    await t.query(`SELECT herald.set_worker_waiting('w1', true)`);
    await t.db.transaction(async (tx) => {
      await tx.execute(sql`SET LOCAL herald.notify = 'off'`);
      await publish(tx, 'test.event', { n: 100 });
    });
    await marker('m4');
    expect(received).toEqual(['m1', '', 'm2', 'm3', 'm4']);
  });
});
