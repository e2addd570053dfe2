/**
 * Fills a database with realistic history, fast: `npm run seed:scale -- --events 10000000`.
 *
 * Rows are generated inside PostgreSQL (generate_series) in chunks, one transaction each, with
 * triggers and foreign-key checks off (session_replication_role = replica, superuser only) —
 * minutes, not hours. Each event has one delivery and one attempt (a success on the delivery's row, the rest in the attempt log); a few per cent fail and die,
 * a few are discarded and a few wait for a retry, spread over the last 14 days.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { migrateDatabase } from '../lib/db/migrate';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    chunk: { type: 'string', default: '500000' },
    days: { type: 'string', default: '14' },
  },
});
const total = Number(values.events);
const chunk = Number(values.chunk);
const days = Number(values.days);
const url = process.env.DATABASE_URL;
if (!url || !Number.isInteger(total) || total <= 0) {
  console.error('usage: DATABASE_URL=… npm run seed:scale -- --events 10000000 [--chunk 500000] [--days 14]');
  process.exit(2);
}

async function main(databaseUrl: string) {
  await migrateDatabase(databaseUrl);
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'herald-seed' });
  await client.connect();
  await client.query(`
    INSERT INTO herald.subscriptions (name, channel_pattern) VALUES
      ('order-confirmation-email', 'order.approved'), ('email', 'email.send')
    ON CONFLICT (name) DO NOTHING`);
  const { rows } = await client.query<{ base: string }>(
    `SELECT greatest((SELECT coalesce(max(id), 0) FROM herald.events), (SELECT coalesce(max(id), 0) FROM herald.deliveries)) + 1 AS base`,
  );
  const base = Number(rows[0]?.base ?? 1);
  const started = Date.now();
  for (let offset = 0; offset < total; offset += chunk) {
    const n = Math.min(chunk, total - offset);
    const from = base + offset;
    const to = from + n - 1;
    await client.query('BEGIN');
    await client.query(`SET LOCAL session_replication_role = replica`);
    // i runs over ids; t is the event's age fraction (0 = oldest); r drives the outcome mix.
    await client.query(
      `INSERT INTO herald.events (id, channel, payload, key, source, created_at)
       OVERRIDING SYSTEM VALUE
       SELECT i,
              CASE WHEN i % 10 < 7 THEN 'order.approved' ELSE 'email.send' END,
              CASE WHEN i % 10 < 7 THEN jsonb_build_object(
                     'orderId', 'ord-' || i,
                     'customer', jsonb_build_object('email', 'customer' || (i % 400000) || '@example.com', 'name', 'Customer ' || (i % 400000)),
                     'total', (i % 50000) / 100.0, 'currency', 'USD')
                   ELSE jsonb_build_object('to', 'customer' || (i % 400000) || '@example.com', 'subject', 'Your receipt ' || i, 'text', 'Thanks!')
              END,
              CASE WHEN i % 10 < 7 THEN 'order:ord-' || i ELSE 'customer' || (i % 400000) || '@example.com' END,
              'seed',
              now() - ($3::float8 * (1 - (i - $5)::float8 / $4)) * interval '1 day'
       FROM generate_series($1::bigint, $2::bigint) AS i`,
      [from, to, days, total, base],
    );
    await client.query(
      `INSERT INTO herald.deliveries (id, event_id, subscription, state, attempts, run_at, created_at, updated_at, finished_at, last_error,
                                     success_attempt_id, success_started_at, success_worker, success_result, success_manual)
       OVERRIDING SYSTEM VALUE
       SELECT e.id, e.id,
              CASE WHEN e.channel = 'order.approved' THEN 'order-confirmation-email' ELSE 'email' END,
              s.state, CASE s.state WHEN 'dead' THEN 12 WHEN 'pending' THEN 2 ELSE 1 END,
              CASE s.state WHEN 'pending' THEN now() + interval '2 hours' ELSE e.created_at END,
              e.created_at, e.created_at + interval '2 seconds',
              CASE WHEN s.state IN ('succeeded', 'dead', 'discarded') THEN e.created_at + interval '2 seconds' END,
              CASE s.state WHEN 'dead' THEN s.error WHEN 'pending' THEN 'Postmark is in maintenance (ErrorCode 100)' END,
              -- A success stays on its delivery's row (migration 0019), as the worker writes it.
              CASE WHEN s.state = 'succeeded' THEN nextval('herald.attempts_id_seq') END,
              CASE WHEN s.state = 'succeeded' THEN e.created_at + interval '1 second' END,
              CASE WHEN s.state = 'succeeded' THEN 'seed' END,
              CASE WHEN s.state = 'succeeded' THEN jsonb_build_object('messageId', md5(e.id::text)) END,
              CASE WHEN s.state = 'succeeded' THEN false END
       FROM herald.events e
       CROSS JOIN LATERAL (SELECT CASE WHEN e.id % 1000 < 955 THEN 'succeeded'
                                       WHEN e.id % 1000 < 985 THEN 'dead'
                                       WHEN e.id % 1000 < 995 THEN 'discarded'
                                       ELSE 'pending' END AS state,
                                  CASE WHEN e.id % 2 = 0 THEN 'Inactive recipient (ErrorCode 406)'
                                       ELSE 'Postmark is in maintenance (ErrorCode 100)' END AS error) s
       WHERE e.id BETWEEN $1 AND $2`,
      [from, to],
    );
    await client.query(
      `INSERT INTO herald.attempt_log (delivery_id, attempt, worker, started_at, finished_at, outcome, error, result)
       SELECT d.id, d.attempts, 'seed', d.created_at + interval '1 second', d.created_at + interval '2 seconds',
              CASE d.state WHEN 'pending' THEN 'failed' ELSE 'dead' END,
              d.last_error, NULL
       FROM herald.deliveries d WHERE d.id BETWEEN $1 AND $2 AND d.state <> 'succeeded'`,
      [from, to],
    );
    await client.query('COMMIT');
    const done = offset + n;
    const rate = Math.round(done / ((Date.now() - started) / 1000));
    console.log(
      `seeded ${done.toLocaleString('en')} / ${total.toLocaleString('en')} events (${rate.toLocaleString('en')}/s)`,
    );
  }
  // Identity sequences continue after the seeded ids.
  await client.query(`SELECT setval('herald.events_id_seq', (SELECT max(id) FROM herald.events))`);
  await client.query(`SELECT setval('herald.deliveries_id_seq', (SELECT max(id) FROM herald.deliveries))`);
  await client.query('ANALYZE herald.events; ANALYZE herald.deliveries; ANALYZE herald.attempt_log');
  console.log(`done in ${Math.round((Date.now() - started) / 1000)} s`);
  await client.end();
}

main(url).catch((error) => {
  console.error(`seed failed: ${error.message}`);
  process.exit(1);
});
