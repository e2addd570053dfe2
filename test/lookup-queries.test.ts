import { afterAll, beforeAll, expect, it } from 'vitest';
import { pageClock } from '../lib/lookup/clock';
import { parseLookup } from '../lib/lookup/parse';
import { eventVerdict } from '../lib/lookup/verdict';
import { deadGroups } from '../lib/queries/dead-letters';
import { LOOKUP_PAGE, lookup } from '../lib/queries/lookup';
import { createTestDatabase, type TestDatabase } from './helpers/db';

let t: TestDatabase;
let delivered: number;

beforeAll(async () => {
  t = await createTestDatabase();
  await t.query(
    `INSERT INTO herald.subscriptions (name, channel_pattern, max_attempts) VALUES ('order-confirmation-email', 'order.approved', 12)`,
  );
  const [e] = await t.query<{ id: number }>(`
    INSERT INTO herald.events (channel, payload, key, source) VALUES
      ('order.approved', '{"orderId":"1042","customer":{"email":"Ann@Example.com","name":"Ann"},"total":5}', 'order:1042', 'checkout')
    RETURNING id`);
  delivered = e!.id;
  const [d] = await t.query<{ id: number }>(`SELECT id FROM herald.deliveries WHERE event_id = $1`, [
    delivered,
  ]);
  const [a] = await t.query<{ id: number }>(
    `UPDATE herald.deliveries SET state = 'succeeded', attempts = 1, finished_at = now() WHERE id = $1 RETURNING id`,
    [d!.id],
  );
  await t.query(
    `
    INSERT INTO herald.attempt_log (delivery_id, attempt, worker, started_at, outcome, result)
    VALUES ($1, 1, 'w1', now() - interval '1 second', 'succeeded', '{"messageId":"m-1","to":"ann@example.com"}')`,
    [a!.id],
  );
  await t.query(`
    INSERT INTO herald.email_events (record_type, message_id, recipient, occurred_at, dedupe_key, payload)
    VALUES ('Delivery', 'm-1', 'ann@example.com', '2026-11-28T10:02:13Z', 'x1', '{}')`);
  // Two dead deliveries of one kind of error (different addresses), one of another.
  for (const [i, error] of [
    [1, 'The recipient is inactive at Postmark: Found inactive addresses: a@x.com.'],
    [2, 'The recipient is inactive at Postmark: Found inactive addresses: b@y.com.'],
    [3, 'Postmark is down for maintenance; will retry (Maintenance 100)'],
  ] as const) {
    const [ev] = await t.query<{ id: number }>(
      `
      INSERT INTO herald.events (channel, payload, key) VALUES ('order.approved', $1, $2) RETURNING id`,
      [
        JSON.stringify({ orderId: `d${i}`, customer: { email: `d${i}@example.com`, name: 'D' }, total: 1 }),
        `order:d${i}`,
      ],
    );
    await t.query(
      `UPDATE herald.deliveries SET state = 'dead', attempts = 12, finished_at = now(), last_error = $2 WHERE event_id = $1`,
      [ev!.id, error],
    );
  }
});
afterAll(() => t?.drop());

it('finds an event by email (any case), order id, key and id, with the Delivery webhook as evidence', async () => {
  for (const q of ['ann@example.com', 'ANN@example.com', '1042', 'order:1042', String(delivered)]) {
    const r = await lookup(t.db, parseLookup(q)!, { mask: false });
    expect(
      r.events.map((e) => e.id),
      q,
    ).toEqual([delivered]);
    const e = r.events[0]!;
    expect(e.deliveries[0]!.attemptList[0]!.messageId).toBe('m-1');
    expect(eventVerdict(e, { ...pageClock(), timeZone: 'UTC' }).headline).toMatch(
      /^Delivered to the recipient's mail server at/,
    );
  }
});

it('masks payloads and recipients for viewers', async () => {
  // Viewers look up by what they see (key, event id): an email address is a payload search.
  const r = await lookup(t.db, parseLookup('order:1042')!, { mask: true });
  expect(JSON.stringify(r.events[0]!.payload)).not.toContain('Ann@Example.com');
  expect(r.events[0]!.deliveries[0]!.attemptList[0]!.recipient).toBe('a•••@example.com');
});

it('nothing found: an empty result, with pruned_before when retention ran', async () => {
  const r = await lookup(t.db, parseLookup('nobody@example.com')!, { mask: false });
  expect(r.events).toEqual([]);
});

it('the lookup uses the email index, not a scan', async () => {
  const plan = await t.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN SELECT id FROM herald.events e WHERE lower(e.payload->'customer'->>'email') = 'ann@example.com'`,
  );
  await t.query('SET enable_seqscan = off');
  expect(plan.map((p) => p['QUERY PLAN']).join('\n')).toMatch(/events_customer_email|Seq Scan/);
  const forced = await t.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN SELECT id FROM herald.events e WHERE lower(e.payload->'customer'->>'email') = 'ann@example.com'`,
  );
  expect(forced.map((p) => p['QUERY PLAN']).join('\n')).toContain('events_customer_email');
});

it('groups dead deliveries by kind of error, addresses and numbers aside', async () => {
  const { groups } = await deadGroups(t.db, {});
  expect(groups.map((g) => [g.count, g.errorContains])).toEqual([
    [2, 'The recipient is inactive at Postmark: Found inactive addresses:'],
    [1, 'Postmark is down for maintenance; will retry (Maintenance'],
  ]);
});

it('groups by subscription and channel: exact patterns, wildcards, and channels a pattern cannot match', async () => {
  // A wildcard subscription whose dead come from two channels: only the events can tell them apart.
  await t.query(`INSERT INTO herald.subscriptions (name, channel_pattern) VALUES ('audit-all', '*')`);
  for (const channel of ['order.approved', 'email.send', 'email.send'] as const) {
    const [ev] = await t.query<{ id: number }>(
      `INSERT INTO herald.events (channel, payload) VALUES ($1, '{}') RETURNING id`,
      [channel],
    );
    await t.query(
      `UPDATE herald.deliveries SET state = 'dead', attempts = 1, finished_at = now(), last_error = 'HTTP 500'
       WHERE event_id = $1 AND subscription = 'audit-all'`,
      [ev!.id],
    );
  }
  const count = async (f: Parameters<typeof deadGroups>[1]) =>
    (await deadGroups(t.db, f)).groups.map((g) => [g.subscription, g.count]);
  expect(await count({ channel: 'email.send' })).toEqual([['audit-all', 2]]);
  expect(await count({ channel: 'order.approved' })).toEqual([
    ['order-confirmation-email', 2],
    ['audit-all', 1],
    ['order-confirmation-email', 1],
  ]);
  expect(await count({ subscription: 'audit-all' })).toEqual([['audit-all', 3]]);
  expect(await count({ subscription: 'audit-all', channel: 'sms' })).toEqual([]);
});

it('pages a regular customer: the most recent events first, then older ones, none twice', async () => {
  const ids: number[] = [];
  for (let n = 0; n < LOOKUP_PAGE * 2 + 3; n++) {
    const [ev] = await t.query<{ id: number }>(
      `INSERT INTO herald.events (channel, payload, key) VALUES ('order.approved', $1, $2) RETURNING id`,
      [
        JSON.stringify({ orderId: `r${n}`, customer: { email: 'Regular@example.com', name: 'R' }, total: 1 }),
        `order:r${n}`,
      ],
    );
    ids.push(ev!.id);
  }
  const newestFirst = [...ids].reverse();
  const q = parseLookup('regular@example.com')!;
  const seen: number[] = [];
  let before: number | null = null;
  for (let page = 0; page < 5; page++) {
    const r = await lookup(t.db, q, { mask: false }, before);
    seen.push(...r.events.map((e) => e.id));
    expect(r.events.length).toBeLessThanOrEqual(LOOKUP_PAGE);
    expect(r.events.every((e) => e.deliveries.length > 0)).toBe(true);
    if (r.olderThan === null) break;
    before = r.olderThan;
  }
  expect(seen).toEqual(newestFirst);
});
