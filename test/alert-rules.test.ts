import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { evaluateAlerts } from '../lib/alerts/evaluate';
import {
  circuitOpen,
  deadGrowth,
  failureRate,
  noHeartbeat,
  oldestDue,
  type RuleTarget,
  stall,
} from '../lib/alerts/rules';
import { createPublisher } from '../lib/publish';
import { subscriptionsFor } from '../lib/subscriptions/define';
import { syncSubscriptions } from '../lib/subscriptions/sync';
import { testChannels } from './fixtures/channels';
import { createTestDatabase, type TestDatabase } from './helpers/db';

/**
 * Each alert condition (lib/alerts/rules.ts) against database states built the way Herald builds
 * them: deliveries from real publishes, workers from herald.register_worker, circuits and rollup
 * rows (herald.activity, what roll_up writes each second) as their writers leave them. Then the
 * evaluator's life cycle: fires once, repeats, resolves, acknowledged and silenced alerts stay quiet.
 */
const subscribe = subscriptionsFor(testChannels);
const { publishMany } = createPublisher(testChannels);
const mail = subscribe({ name: 'mail', channel: 'test.event', handler: async () => null });
const other = subscribe({ name: 'other', channel: 'test.other', handler: async () => null });

let t: TestDatabase;
const target = (over: Partial<RuleTarget> = {}): RuleTarget => ({
  subscription: 'mail',
  threshold: 0,
  windowSeconds: 300,
  minCount: 0,
  ...over,
});

beforeAll(async () => {
  t = await createTestDatabase();
  await syncSubscriptions(t.db, [mail, other], 30_000);
});
afterAll(async () => {
  await t?.drop();
});

beforeEach(async () => {
  await t.query('DELETE FROM herald.alerts');
  await t.query('DELETE FROM herald.alert_rules');
  await t.query('DELETE FROM herald.alert_destinations');
  await t.query('DELETE FROM herald.deliveries');
  await t.query('DELETE FROM herald.activity');
  await t.query('DELETE FROM herald.workers');
  await t.query('DELETE FROM herald.circuits');
  await t.query('UPDATE herald.subscriptions SET paused = false');
});

/** Three deliveries for `mail`, due since `minutes` ago. */
async function dueFor(minutes: number) {
  await publishMany(
    t.db,
    [1, 2, 3].map((n) => ({ channel: 'test.event' as const, payload: { n, mode: 'ok' as const } })),
  );
  await t.query(`UPDATE herald.deliveries SET run_at = now() - $1 * interval '1 minute'`, [minutes]);
}
const workerAlive = (id = 'w1', subs = ['mail', 'other']) =>
  t.query('SELECT herald.register_worker($1, $2, $3, $4)', [id, 'host', 1, subs]);
/** A rollup row for `mail`, `secondsAgo` seconds back. */
const rollup = (secondsAgo: number, c: { succeeded?: number; failed?: number; dead?: number }) =>
  t.query(
    `INSERT INTO herald.activity (resolution, bucket, subscription, succeeded, failed, dead)
     VALUES ('second', date_trunc('second', now()) - $1 * interval '1 second', 'mail', $2, $3, $4)`,
    [secondsAgo, c.succeeded ?? 0, c.failed ?? 0, c.dead ?? 0],
  );

describe('stall', () => {
  it('fires when deliveries are due for the window, nothing finished in it, and a worker is alive', async () => {
    await dueFor(10);
    await workerAlive();
    await rollup(900, { succeeded: 5 }); // finished long before the window
    const [f] = await stall(t.pool, [target()]);
    expect(f).toMatchObject({ subscription: 'mail', value: 3 });
    expect(f?.summary).toContain('3 deliveries due or claimed, none finished for at least 5 min');
  });
  it('counts claimed deliveries: a stuck worker may hold every due one', async () => {
    await dueFor(10);
    await workerAlive();
    await t.query(
      `UPDATE herald.deliveries SET state = 'running', lease_owner = 'w1', lease_expires_at = now() + interval '1 minute', claimed_at = now()`,
    );
    expect((await stall(t.pool, [target()]))[0]?.value).toBe(3);
  });
  it('stays quiet when something finished within the window, a failure included', async () => {
    await dueFor(10);
    await workerAlive();
    await rollup(30, { failed: 1 });
    expect(await stall(t.pool, [target()])).toEqual([]);
  });
  it('stays quiet while the deliveries have not been due for the whole window (a burst after idling)', async () => {
    await dueFor(2);
    await workerAlive();
    expect(await stall(t.pool, [target()])).toEqual([]);
  });
  it('is not a stall when no worker is alive (no_heartbeat says that), the subscription is paused or its circuit open', async () => {
    await dueFor(10);
    expect(await stall(t.pool, [target()])).toEqual([]);
    await workerAlive('w2', ['other']);
    expect(await stall(t.pool, [target()])).toEqual([]);
    await workerAlive();
    await t.query(`UPDATE herald.subscriptions SET paused = true WHERE name = 'mail'`);
    expect(await stall(t.pool, [target()])).toEqual([]);
    await t.query(`UPDATE herald.subscriptions SET paused = false WHERE name = 'mail'`);
    await t.query(
      `INSERT INTO herald.circuits (subscription, state, opened_at, probe_interval_ms, next_probe_at) VALUES ('mail', 'open', now(), 5000, now())`,
    );
    expect(await stall(t.pool, [target()])).toEqual([]);
  });
});

describe('oldest_due', () => {
  it('fires when the oldest due delivery waited longer than the window, with its age', async () => {
    await dueFor(10);
    const [f] = await oldestDue(t.pool, [target()]);
    expect(f?.value).toBeGreaterThan(590);
    expect(f?.summary).toContain('the oldest of 3 due deliveries has waited 10 min');
    expect(await oldestDue(t.pool, [target({ windowSeconds: 900 })])).toEqual([]);
  });
  it('ignores retries that are not due yet', async () => {
    await dueFor(10);
    await t.query(`UPDATE herald.deliveries SET run_at = now() + interval '10 minutes'`);
    expect(await oldestDue(t.pool, [target()])).toEqual([]);
  });
});

describe('failure_rate', () => {
  it('fires above the percentage once the minimum count is reached', async () => {
    await rollup(10, { succeeded: 5, failed: 3 });
    await rollup(20, { dead: 2 });
    const [f] = await failureRate(t.pool, [target({ threshold: 20, minCount: 10 })]);
    expect(f?.value).toBe(50);
    expect(f?.summary).toContain('50.0 % of attempts failed (5 of 10)');
    expect(await failureRate(t.pool, [target({ threshold: 20, minCount: 11 })])).toEqual([]);
    expect(await failureRate(t.pool, [target({ threshold: 50, minCount: 10 })])).toEqual([]);
  });
  it('only counts the window', async () => {
    await rollup(400, { failed: 50 });
    await rollup(10, { succeeded: 20 });
    expect(await failureRate(t.pool, [target({ threshold: 20, minCount: 10 })])).toEqual([]);
  });
});

describe('dead_growth', () => {
  it('fires when more than N went dead in the window', async () => {
    await rollup(10, { dead: 6 });
    await rollup(100, { dead: 5 });
    await rollup(1000, { dead: 50 });
    expect((await deadGrowth(t.pool, [target({ threshold: 10 })]))[0]?.value).toBe(11);
    expect(await deadGrowth(t.pool, [target({ threshold: 11 })])).toEqual([]);
  });
});

describe('no_heartbeat', () => {
  it('fires when deliveries are due and no worker serving the subscription heartbeated in the window', async () => {
    await dueFor(1);
    expect((await noHeartbeat(t.pool, [target({ windowSeconds: 120 })]))[0]?.value).toBe(3);
    await workerAlive();
    expect(await noHeartbeat(t.pool, [target({ windowSeconds: 120 })])).toEqual([]);
    await t.query(`UPDATE herald.workers SET last_heartbeat_at = now() - interval '5 minutes'`);
    const [f] = await noHeartbeat(t.pool, [target({ windowSeconds: 120 })]);
    expect(f?.summary).toBe(
      '3 deliveries due and no worker for this subscription has sent a heartbeat for 5 min',
    );
  });
  it('stays quiet when nothing is due', async () => {
    expect(await noHeartbeat(t.pool, [target({ windowSeconds: 120 })])).toEqual([]);
  });
});

describe('circuit_open', () => {
  it('fires while the circuit is open, with what the provider said and how much is held', async () => {
    await dueFor(1);
    await t.query(
      `INSERT INTO herald.circuits (subscription, state, opened_at, opened_by, probe_interval_ms, next_probe_at, probes)
       VALUES ('mail', 'open', now() - interval '1 minute', 'Postmark: maintenance (ErrorCode 100)', 5000, now(), 4)`,
    );
    const [f] = await circuitOpen(t.pool, [target({ windowSeconds: 0 })]);
    expect(f?.summary).toBe(
      'the provider is down (Postmark: maintenance (ErrorCode 100)): 3 deliveries held, 4 probes so far',
    );
    expect(await circuitOpen(t.pool, [target({ windowSeconds: 120 })])).toEqual([]);
    await t.query(`UPDATE herald.circuits SET state = 'half-open', half_open_at = now()`);
    expect(await circuitOpen(t.pool, [target({ windowSeconds: 0 })])).toEqual([]);
  });
});

describe('the evaluator', () => {
  const options = { publicUrl: 'https://herald.example', envDestinations: [] };
  const messages = () =>
    t.query<{ event: string; text: string; link: string }>(
      `SELECT event, payload->>'text' AS text, payload->>'link' AS link FROM herald.alert_messages ORDER BY id`,
    );
  beforeEach(async () => {
    await t.query('DELETE FROM herald.alert_messages');
    await t.query(
      `INSERT INTO herald.alert_destinations (name, kind, url) VALUES ('hook', 'webhook', 'http://127.0.0.1:9/')`,
    );
    // A live worker: otherwise no_heartbeat fires too, beside the rule under test.
    await workerAlive();
  });

  it('starts with the default rules, all on', async () => {
    await evaluateAlerts(t.pool, options);
    const rules = await t.query<{ kind: string; enabled: boolean }>(
      `SELECT kind, enabled FROM herald.alert_rules WHERE subscription = '' ORDER BY kind`,
    );
    expect(rules.map((r) => r.kind)).toEqual([
      'circuit_open',
      'dead_growth',
      'failure_rate',
      'no_heartbeat',
      'oldest_due',
      'stall',
    ]);
    expect(rules.every((r) => r.enabled)).toBe(true);
  });

  it('fires once, repeats after the interval, and sends resolved when it clears', async () => {
    await evaluateAlerts(t.pool, options);
    await t.query(`UPDATE herald.alert_rules SET window_seconds = 60 WHERE kind = 'oldest_due'`);
    await dueFor(5);
    expect((await evaluateAlerts(t.pool, options)).fired).toBe(1);
    await evaluateAlerts(t.pool, options);
    let sent = await messages();
    expect(sent.map((m) => m.event)).toEqual(['firing']);
    expect(sent[0]?.text).toMatch(
      /^\[WARNING\] Oldest due delivery too old: mail — the oldest of 3 due deliveries has waited 5 min, since \d{4}-/,
    );
    expect(sent[0]?.link).toBe('https://herald.example/events?subscription=mail&state=pending');

    await t.query(`UPDATE herald.alerts SET notified_at = now() - interval '2 hours'`);
    await evaluateAlerts(t.pool, options);
    expect((await messages()).map((m) => m.event)).toEqual(['firing', 'repeat']);

    await t.query('DELETE FROM herald.deliveries');
    expect((await evaluateAlerts(t.pool, options)).resolved).toBe(1);
    sent = await messages();
    expect(sent.map((m) => m.event)).toEqual(['firing', 'repeat', 'resolved']);
    expect(sent[2]?.text).toMatch(/^\[RESOLVED\] Oldest due delivery too old: mail/);
    const [a] = await t.query<{ state: string }>('SELECT state FROM herald.alerts');
    expect(a?.state).toBe('resolved');
  });

  it('a per-subscription rule overrides the global one; a disabled rule resolves its alerts', async () => {
    await evaluateAlerts(t.pool, options);
    await dueFor(5);
    await t.query(
      `INSERT INTO herald.alert_rules (kind, subscription, window_seconds) VALUES ('oldest_due', 'mail', 60)`,
    );
    expect((await evaluateAlerts(t.pool, options)).fired).toBe(1);
    await t.query(
      `UPDATE herald.alert_rules SET enabled = false WHERE kind = 'oldest_due' AND subscription = 'mail'`,
    );
    expect((await evaluateAlerts(t.pool, options)).resolved).toBe(1);
  });

  it('acknowledged alerts do not repeat; silenced ones say nothing, and the silence covers the next episode', async () => {
    await evaluateAlerts(t.pool, options);
    await t.query(`UPDATE herald.alert_rules SET window_seconds = 60 WHERE kind = 'oldest_due'`);
    await dueFor(5);
    await evaluateAlerts(t.pool, options);
    await t.query(
      `UPDATE herald.alerts SET acknowledged_at = now(), notified_at = now() - interval '2 hours'`,
    );
    await evaluateAlerts(t.pool, options);
    expect((await messages()).map((m) => m.event)).toEqual(['firing']);

    await t.query(
      `UPDATE herald.alerts SET silenced_until = now() + interval '1 hour', silenced_by = 'user:op@example.com'`,
    );
    await t.query(`UPDATE herald.deliveries SET run_at = now() + interval '1 hour'`);
    expect((await evaluateAlerts(t.pool, options)).resolved).toBe(1);
    await t.query(`UPDATE herald.deliveries SET run_at = now() - interval '5 minutes'`);
    expect((await evaluateAlerts(t.pool, options)).fired).toBe(1);
    expect((await messages()).map((m) => m.event)).toEqual(['firing']);
    const rows = await t.query<{ silenced_by: string | null }>(
      `SELECT silenced_by FROM herald.alerts WHERE state = 'firing'`,
    );
    expect(rows[0]?.silenced_by).toBe('user:op@example.com');
  });

  it('one process evaluates at a time', async () => {
    const holder = await t.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock(7244211903)');
      expect((await evaluateAlerts(t.pool, options)).evaluated).toBe(false);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    expect((await evaluateAlerts(t.pool, options)).evaluated).toBe(true);
  });
});
