/**
 * `npm run bench:publish [-- --clients 32 --seconds 10 --warmup-seconds 2]`
 *
 * Can 32 publishers commit at full speed while Herald fans out in their transactions? Each
 * client publishes one event per transaction, on a channel with one subscription and no
 * worker running. Variants, one after another in the same run, on the same server:
 *   plain           the same rows (one event, one delivery) written with one plain INSERT …
 *                   INSERT statement into copies of Herald's tables that have no trigger,
 *                   prepared once per connection like Herald's own publish statement;
 *   herald          Herald's `publish()` inside a Drizzle transaction (the application's path);
 *   herald+notify   the same with a worker row marked waiting, so every commit NOTIFYs: what
 *                   the waiting-flag discipline saves.
 * The issue requires herald ≥ 80 % of plain. The last line is one JSON object.
 */

import pg from 'pg';
import { z } from 'zod';
import { defineChannels } from '../lib/channels/registry';
import { createDb, createPool, type Db } from '../lib/db/client';
import { migrateDatabase } from '../lib/db/migrate';
import { runNamed } from '../lib/db/named-statement';
import { createPublisher } from '../lib/publish';
import { subscriptionsFor } from '../lib/subscriptions/define';
import { syncSubscriptions } from '../lib/subscriptions/sync';
import { cpuMeter, fmt, numberFlag, openServer, round, sleep, table } from './common';

const CLIENTS = Math.floor(numberFlag('clients', 32));
const SECONDS = numberFlag('seconds', 10);
const WARMUP_SECONDS = numberFlag('warmup-seconds', 2);
const ROUNDS = Math.floor(numberFlag('rounds', 1));

const channels = defineChannels({
  'bench.order': z.object({ orderId: z.string(), total: z.number(), email: z.string() }),
});
const { publish } = createPublisher(channels);
const subscribe = subscriptionsFor(channels);
const SUBSCRIPTION = 'bench-order-email';

const payload = (n: number) => ({ orderId: `o-${n}`, total: 42.5, email: `customer${n}@example.com` });

/**
 * Plain copies of Herald's two tables in schema `plain`: same columns, defaults, checks,
 * indexes and foreign keys (LIKE … INCLUDING ALL copies all but the foreign keys, added by
 * hand), but no fan-out trigger and so no NOTIFY.
 */
const PLAIN_SCHEMA = `
  CREATE SCHEMA plain;
  CREATE TABLE plain.events (LIKE herald.events INCLUDING ALL);
  CREATE TABLE plain.deliveries (LIKE herald.deliveries INCLUDING ALL);
  ALTER TABLE plain.deliveries
    ADD FOREIGN KEY (event_id) REFERENCES plain.events (id) ON DELETE CASCADE,
    ADD FOREIGN KEY (subscription) REFERENCES herald.subscriptions (name) ON DELETE CASCADE ON UPDATE CASCADE;
`;

type Variant = 'plain' | 'herald' | 'herald+notify';

/** One transaction of each variant; `n` makes every event distinct. */
function transaction(variant: Variant, db: Db, n: number): Promise<unknown> {
  if (variant === 'plain') {
    // The strongest plain form: one statement writes the event and its delivery. Named, like
    // Herald's own publish statement, so both sides are parsed and planned once per connection.
    return db.transaction((tx) =>
      runNamed(
        tx,
        'bench_plain_publish',
        `WITH e AS (
           INSERT INTO plain.events (channel, payload, key, source)
           VALUES ('bench.order', $1::jsonb, $2, 'bench')
           RETURNING id
         )
         INSERT INTO plain.deliveries (event_id, subscription, run_at)
         SELECT id, $3, now() FROM e`,
        [JSON.stringify(payload(n)), `order:${n}`, SUBSCRIPTION],
      ),
    );
  }
  return db.transaction((tx) =>
    publish(tx, 'bench.order', payload(n), { key: `order:${n}`, source: 'bench' }),
  );
}

interface Outcome {
  variant: Variant;
  round: number;
  txPerSec: number;
  transactions: number;
  errors: number;
  clientCpu: number;
  notifications: number;
  eventsWritten: number;
  deliveriesWritten: number;
}

async function runVariant(url: string, pool: pg.Pool, variant: Variant, round: number): Promise<Outcome> {
  const admin = new pg.Client({ connectionString: url, application_name: 'herald-bench-admin' });
  await admin.connect();
  let listener: pg.Client | undefined;
  let notifications = 0;
  try {
    // Every variant starts from empty tables and a fresh checkpoint, so none pays for the
    // previous one's full-page writes or index growth.
    await admin.query('TRUNCATE herald.events, herald.deliveries, plain.events, plain.deliveries CASCADE');
    await admin.query('DELETE FROM herald.workers');
    if (variant === 'herald+notify') {
      // A worker asleep and listening: every publish must wake it. A real listener drains the
      // queue, as a worker would.
      listener = new pg.Client({ connectionString: url, application_name: 'herald-bench-listener' });
      await listener.connect();
      listener.on('notification', () => notifications++);
      await listener.query('LISTEN herald_wakeup');
      await admin.query(
        "INSERT INTO herald.workers (id, hostname, pid, subscriptions, waiting) VALUES ('bench-sleeper', 'bench', 0, ARRAY[$1], true)",
        [SUBSCRIPTION],
      );
    }
    await admin.query('CHECKPOINT');

    const db = createDb(pool);
    let counting = false;
    let stop = false;
    let transactions = 0;
    let errors = 0;
    let sequence = 0;
    const clients = Array.from({ length: CLIENTS }, async () => {
      while (!stop) {
        try {
          await transaction(variant, db, sequence++);
          if (counting) transactions++;
        } catch {
          if (counting) errors++;
        }
      }
    });
    await sleep(WARMUP_SECONDS * 1000);
    counting = true;
    const cpu = cpuMeter();
    const t0 = performance.now();
    await sleep(SECONDS * 1000);
    counting = false;
    const elapsed = performance.now() - t0;
    const clientCpu = cpu();
    stop = true;
    await Promise.all(clients);

    const [counts] = (
      await admin.query<{ events: number; deliveries: number }>(
        variant === 'plain'
          ? 'SELECT (SELECT count(*) FROM plain.events)::int AS events, (SELECT count(*) FROM plain.deliveries)::int AS deliveries'
          : 'SELECT (SELECT count(*) FROM herald.events)::int AS events, (SELECT count(*) FROM herald.deliveries)::int AS deliveries',
      )
    ).rows;
    return {
      variant,
      round,
      txPerSec: (transactions / elapsed) * 1000,
      transactions,
      errors,
      clientCpu,
      notifications,
      eventsWritten: counts?.events ?? 0,
      deliveriesWritten: counts?.deliveries ?? 0,
    };
  } finally {
    await listener?.end().catch(() => {});
    await admin.end();
  }
}

async function main() {
  const started = Date.now();
  const server = await openServer();
  const outcomes: Outcome[] = [];
  try {
    console.log(
      `bench:publish on PostgreSQL ${server.version} (${server.label}); ${CLIENTS} clients, ` +
        `${WARMUP_SECONDS} s warm-up + ${SECONDS} s per variant, ${ROUNDS} round(s)\n`,
    );
    const url = await server.createDatabase('publish');
    await migrateDatabase(url);
    const pool = createPool(url, { max: CLIENTS, applicationName: 'herald-bench-publisher' });
    // The plain INSERT's foreign-key check (delivery → event) must find the event by its index,
    // as Herald's does since migration 0015: every variant starts from empty tables, and a
    // check planned then reads the whole table for each row once it has grown
    // (test/cached-plans.test.ts). Herald's functions set this themselves; nothing else here
    // reads a table.
    pool.on('connect', (client) => void client.query('SET enable_seqscan = off').catch(() => {}));
    try {
      const setup = await pool.connect();
      try {
        await setup.query(PLAIN_SCHEMA);
      } finally {
        setup.release();
      }
      await syncSubscriptions(
        createDb(pool),
        [subscribe({ name: SUBSCRIPTION, channel: 'bench.order', handler: async () => {} })],
        30_000,
      );
      // Open every connection up front: connection set-up is not what is measured.
      const held = await Promise.all(Array.from({ length: CLIENTS }, () => pool.connect()));
      for (const c of held) c.release();

      for (let r = 1; r <= ROUNDS; r++) {
        for (const variant of ['plain', 'herald', 'herald+notify'] as const) {
          process.stdout.write(`  round ${r} ${variant} … `);
          const o = await runVariant(url, pool, variant, r);
          outcomes.push(o);
          console.log(`${fmt(o.txPerSec)} tx/s (client CPU ${fmt(o.clientCpu * 100)} % of a core)`);
        }
      }
    } finally {
      await pool.end();
    }
  } finally {
    await server.close();
  }

  const mean = (v: Variant) => {
    const xs = outcomes.filter((o) => o.variant === v).map((o) => o.txPerSec);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  const plain = mean('plain');
  const heraldTx = mean('herald');
  const notifyTx = mean('herald+notify');
  console.log(`\n${server.label} PostgreSQL ${server.version}, ${CLIENTS} clients\n`);
  console.log(
    table(
      ['variant', 'round', 'tx/s', '÷ plain', 'errors', 'client CPU', 'events', 'deliveries', 'NOTIFYs recv'],
      outcomes.map((o) => [
        o.variant,
        String(o.round),
        fmt(o.txPerSec),
        `${fmt((o.txPerSec / plain) * 100)} %`,
        String(o.errors),
        `${fmt(o.clientCpu * 100)} %`,
        fmt(o.eventsWritten),
        fmt(o.deliveriesWritten),
        fmt(o.notifications),
      ]),
    ),
  );
  const heraldVsPlain = round(heraldTx / plain, 3);
  const notifyVsPlain = round(notifyTx / plain, 3);
  console.log(
    `\nherald ÷ plain = ${fmt(heraldVsPlain * 100, 1)} % (target ≥ 80 %: ${heraldVsPlain >= 0.8 ? 'MET' : 'NOT MET'}); ` +
      `herald with a waiting worker (NOTIFY every commit) ÷ plain = ${fmt(notifyVsPlain * 100, 1)} %`,
  );
  console.log(
    JSON.stringify({
      benchmark: 'publish',
      server: server.label,
      postgres: server.version,
      clients: CLIENTS,
      seconds: SECONDS,
      warmupSeconds: WARMUP_SECONDS,
      rounds: ROUNDS,
      totalSeconds: round((Date.now() - started) / 1000, 1),
      results: outcomes.map((o) => ({
        variant: o.variant,
        round: o.round,
        txPerSec: round(o.txPerSec, 0),
        transactions: o.transactions,
        errors: o.errors,
        clientCpu: round(o.clientCpu, 2),
        notifications: o.notifications,
      })),
      txPerSec: { plain: round(plain, 0), herald: round(heraldTx, 0), heraldNotify: round(notifyTx, 0) },
      ratios: { heraldVsPlain, heraldNotifyVsPlain: notifyVsPlain },
      targets: { heraldAtLeast80PercentOfPlain: heraldVsPlain >= 0.8 },
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
