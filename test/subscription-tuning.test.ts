import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Principal, type Role, rolePermissions } from '../lib/auth/principal';
import { emailSubscriptions } from '../lib/email/subscriptions';
import { setSubscriptionTuning } from '../lib/operations/tuning';
import { createPublisher } from '../lib/publish';
import { subscriptionsFor } from '../lib/subscriptions/define';
import { CONCURRENCY_MAX } from '../lib/subscriptions/limits';
import type { Worker } from '../worker/worker';
import { testChannels } from './fixtures/channels';
import { runCli } from './helpers/cli';
import { createTestDatabase, type TestDatabase, waitFor } from './helpers/db';
import { inProcessWorker } from './helpers/in-process-worker';

/**
 * Issue #21 item 4: concurrency changed by an operator (the operation the console and the CLI
 * call) takes effect in a running worker within 5 s, observed as the number of handlers running
 * at once; the policy (who, what, unknown name) and the audit entry.
 */
const subscribe = subscriptionsFor(testChannels);
const { publishMany } = createPublisher(testChannels);
const HANDLER_MS = 150;

let t: TestDatabase;
let worker: Worker;
let inFlight = 0;

const as = (role: Role): Principal => ({
  kind: 'user',
  id: role,
  name: `${role}@example.com`,
  actor: `user:${role}@example.com`,
  role,
  permissions: new Set(rolePermissions[role]),
});

beforeAll(async () => {
  t = await createTestDatabase();
  worker = inProcessWorker(t, [
    subscribe({
      name: 'tuned',
      channel: 'test.event',
      concurrency: 2,
      handler: async () => {
        inFlight++;
        await new Promise((r) => setTimeout(r, HANDLER_MS));
        inFlight--;
      },
    }),
  ]);
  await worker.start();
});
afterAll(async () => {
  await worker?.stop();
  await t?.drop();
});

/** Samples the running handlers every 10 ms until `until` holds; returns the time it took. */
async function timeUntil(what: string, until: (n: number) => boolean, timeoutMs = 10_000) {
  const started = Date.now();
  await waitFor(what, async () => until(inFlight), timeoutMs);
  return Date.now() - started;
}

describe('tuning a running worker', () => {
  it('concurrency raised and lowered by an operator applies within 5 s', async () => {
    await publishMany(
      t.db,
      Array.from({ length: 600 }, (_, n) => ({ channel: 'test.event' as const, payload: { n } })),
    );
    await timeUntil('two handlers running', (n) => n === 2);
    // Declared 2: never more while nobody changes it.
    let most = 0;
    const sampler = setInterval(() => (most = Math.max(most, inFlight)), 5);
    await new Promise((r) => setTimeout(r, 4 * HANDLER_MS));
    clearInterval(sampler);
    expect(most).toBe(2);

    const raised = await setSubscriptionTuning(t.db, as('operator'), {
      name: 'tuned',
      concurrency: 6,
      reason: 'provider raised our limit',
    });
    expect(raised).toMatchObject({ concurrency: 6, declaredConcurrency: 2, changed: true });
    const up = await timeUntil('six handlers running', (n) => n === 6);
    expect(up).toBeLessThan(5_000);

    await setSubscriptionTuning(t.db, as('operator'), { name: 'tuned', concurrency: 1 });
    const down = await timeUntil('one handler running', (n) => n <= 1);
    expect(down).toBeLessThan(5_000);
    // …and it stays there: lowering is not a momentary dip.
    most = 0;
    const again = setInterval(() => (most = Math.max(most, inFlight)), 5);
    await new Promise((r) => setTimeout(r, 4 * HANDLER_MS));
    clearInterval(again);
    expect(most).toBe(1);

    // Back to the declared value.
    const reset = await setSubscriptionTuning(t.db, as('operator'), { name: 'tuned', concurrency: null });
    expect(reset).toMatchObject({ concurrency: 2, changed: true });
    await timeUntil('two handlers running again', (n) => n === 2);
    console.log(`concurrency 2 → 6 applied in ${up} ms, 6 → 1 in ${down} ms`);
  }, 60_000);

  it('applies through the poll when the notification is missed', async () => {
    // Written behind the operation's back: no NOTIFY, only the worker's poll (TUNING_POLL_MS) sees it.
    await t.query(`UPDATE herald.subscriptions SET concurrency_override = 4 WHERE name = 'tuned'`);
    const took = await timeUntil('four handlers running', (n) => n === 4);
    expect(took).toBeLessThan(5_000);
    await t.query(`UPDATE herald.subscriptions SET concurrency_override = NULL WHERE name = 'tuned'`);
  }, 30_000);

  it('is audited with the values before and after', async () => {
    const rows = await t.query<{ actor: string; reason: string | null; details: unknown }>(
      `SELECT actor, reason, details FROM herald.audit_log WHERE action = 'subscription.tune' ORDER BY id`,
    );
    expect(rows).toHaveLength(3);
    expect(rows[0]).toEqual({
      actor: 'user:operator@example.com',
      reason: 'provider raised our limit',
      details: {
        before: { concurrency: 2, ratePerSecond: null },
        after: { concurrency: 6, ratePerSecond: null },
      },
    });
  });

  it('follows the operation policy: who, what, which', async () => {
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { code?: string; details?: { path: string }[] }) => `${e.code}:${e.details?.[0]?.path ?? ''}`,
      );
    expect(await code(setSubscriptionTuning(t.db, as('viewer'), { name: 'tuned', concurrency: 3 }))).toBe(
      'forbidden:',
    );
    expect(await code(setSubscriptionTuning(t.db, as('support'), { name: 'tuned', concurrency: 3 }))).toBe(
      'forbidden:',
    );
    expect(await code(setSubscriptionTuning(t.db, as('operator'), { name: 'tuned' }))).toBe(
      'invalid_request:concurrency',
    );
    for (const concurrency of [0, 1.5, CONCURRENCY_MAX + 1, Number.NaN])
      expect(await code(setSubscriptionTuning(t.db, as('operator'), { name: 'tuned', concurrency }))).toBe(
        'invalid_request:concurrency',
      );
    for (const ratePerSecond of [-1, Number.POSITIVE_INFINITY, 1e9])
      expect(await code(setSubscriptionTuning(t.db, as('operator'), { name: 'tuned', ratePerSecond }))).toBe(
        'invalid_request:ratePerSecond',
      );
    expect(await code(setSubscriptionTuning(t.db, as('operator'), { name: 'nope', concurrency: 3 }))).toBe(
      'not_found:',
    );
    // A rate of 0 lifts a limit; the same values again change nothing and audit nothing.
    const lifted = await setSubscriptionTuning(t.db, as('admin'), { name: 'tuned', ratePerSecond: 0 });
    expect(lifted).toMatchObject({ ratePerSecond: null, changed: true });
    const same = await setSubscriptionTuning(t.db, as('admin'), { name: 'tuned', ratePerSecond: 0 });
    expect(same.changed).toBe(false);
    const [audited] = await t.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM herald.audit_log WHERE action = 'subscription.tune'`,
    );
    expect(audited!.n).toBe(4);
  });
});

describe('the concurrency cap', () => {
  it("takes 2,000 (the batched email lane's default) and up to 10,000; refuses 10,001 with the bound", async () => {
    const operator = as('operator');
    for (const concurrency of [2_000, 10_000]) {
      const set = await setSubscriptionTuning(t.db, operator, { name: 'tuned', concurrency });
      expect(set).toMatchObject({ concurrency, changed: true });
      const [row] = await t.query(
        `SELECT concurrency_override FROM herald.subscriptions WHERE name = 'tuned'`,
      );
      expect(row).toEqual({ concurrency_override: concurrency });
    }
    const refused = await setSubscriptionTuning(t.db, operator, { name: 'tuned', concurrency: 10_001 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toMatchObject({
      code: 'invalid_request',
      message: 'concurrency: an integer from 1 to 10000.',
      details: [{ path: 'concurrency', message: 'an integer from 1 to 10000' }],
    });
    const [row] = await t.query(`SELECT concurrency_override FROM herald.subscriptions WHERE name = 'tuned'`);
    expect(row).toEqual({ concurrency_override: 10_000 });
    await setSubscriptionTuning(t.db, operator, { name: 'tuned', concurrency: null });
  });

  it("is the table's CHECK too: the database takes CONCURRENCY_MAX and refuses one more", async () => {
    expect(CONCURRENCY_MAX).toBe(10_000);
    await t.query(`UPDATE herald.subscriptions SET concurrency_override = $1 WHERE name = 'tuned'`, [
      CONCURRENCY_MAX,
    ]);
    await expect(
      t.query(`UPDATE herald.subscriptions SET concurrency_override = $1 WHERE name = 'tuned'`, [
        CONCURRENCY_MAX + 1,
      ]),
    ).rejects.toMatchObject({ code: '23514', constraint: 'subscriptions_tuning_valid' });
    await t.query(`UPDATE herald.subscriptions SET concurrency_override = NULL WHERE name = 'tuned'`);
  });
});

describe('the concurrency declared in code', () => {
  const batchOf = (size: number) => ({
    size,
    handler: async (items: unknown[]) => items.map(() => ({ result: null })),
  });

  it('is held to the same cap: subscribe() takes 10,000 and refuses 10,001 naming the subscription', () => {
    const declared = (concurrency: number) =>
      subscribe({ name: 'declared', channel: 'test.event', concurrency, handler: async () => {} });
    expect(declared(1).concurrency).toBe(1);
    expect(declared(CONCURRENCY_MAX).concurrency).toBe(10_000);
    for (const concurrency of [CONCURRENCY_MAX + 1, 1e9, 0, 1.5, Number.NaN])
      expect(() => declared(concurrency)).toThrow(
        new Error('invalid concurrency for "declared": an integer from 1 to 10000'),
      );
    expect(() =>
      subscribe({ name: 'declared', channel: 'test.event', concurrency: 10_001, batch: batchOf(500) }),
    ).toThrow('invalid concurrency for "declared": an integer from 1 to 10000');
  });

  it("defaults within it: four batches' worth, at most 10,000; the email lane 2,000", () => {
    const batched = (size: number) =>
      subscribe({ name: 'declared', channel: 'test.event', batch: batchOf(size) }).concurrency;
    expect(batched(500)).toBe(2_000);
    expect(batched(2_500)).toBe(10_000);
    expect(batched(10_000)).toBe(CONCURRENCY_MAX);
    expect(emailSubscriptions().map((s) => s.concurrency)).toEqual([2_000, 2_000]);
  });
});

describe('herald subscription set', () => {
  it('sets concurrency and rate, audited as the CLI user; refuses bad input with one line', async () => {
    const env = { DATABASE_URL: t.url, USER: 'ops' };
    const set = await runCli(['subscription', 'set', 'tuned', '--concurrency', '3', '--rate', '20'], env);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toBe('tuned: concurrency 3 per worker, at most 20/s across all workers\n');
    const [row] = await t.query(
      `SELECT concurrency_override, rate_override, tuned_by FROM herald.subscriptions WHERE name = 'tuned'`,
    );
    expect(row).toEqual({ concurrency_override: 3, rate_override: 20, tuned_by: 'cli:ops' });
    const [audit] = await t.query(
      `SELECT actor, details FROM herald.audit_log WHERE action = 'subscription.tune' ORDER BY id DESC LIMIT 1`,
    );
    expect(audit).toMatchObject({
      actor: 'cli:ops',
      details: { after: { concurrency: 3, ratePerSecond: 20 } },
    });

    const back = await runCli(
      ['subscription', 'set', 'tuned', '--concurrency', 'default', '--rate', 'none'],
      env,
    );
    expect(back.stdout).toBe('tuned: concurrency 2 per worker, no rate limit\n');

    for (const [args, message] of [
      [['--concurrency', '0'], /concurrency: an integer from 1 to 10000\b/],
      [['--concurrency', '10001'], /concurrency: an integer from 1 to 10000\b/],
      [['--concurrency', 'ten'], /--concurrency: a whole number or "default"/],
      [['--rate', '0'], /--rate: sends per second above 0/],
      [[], /give --concurrency, --rate or both/],
    ] as const) {
      const bad = await runCli(['subscription', 'set', 'tuned', ...args], env);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toMatch(message);
    }
    const unknown = await runCli(['subscription', 'set', 'nope', '--concurrency', '2'], env);
    expect(unknown.stderr).toMatch(/No subscription "nope"/);
  }, 60_000);
});
