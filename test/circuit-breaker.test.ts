import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher } from '../lib/publish';
import { subscriptionsFor } from '../lib/subscriptions/define';
import { PermanentError } from '../lib/subscriptions/errors';
import { syncSubscriptions } from '../lib/subscriptions/sync';
import type { Worker } from '../worker/worker';
import { testChannels } from './fixtures/channels';
import { createTestDatabase, type TestDatabase, waitFor } from './helpers/db';
import { inProcessWorker } from './helpers/in-process-worker';

/**
 * The provider circuit breaker (issue #21) at the SQL contract: the transitions done by
 * herald.fail_many / complete_many / claim_many through the circuit_* functions, called here the
 * way a worker (in any language) calls them, so every fence is exercised without timing luck.
 * The end-to-end story with the Postmark sandbox is test/circuit-long-outage.test.ts; two worker
 * processes sharing one circuit, test/circuit-workers.test.ts.
 */
const subscribe = subscriptionsFor(testChannels);
const { publishMany } = createPublisher(testChannels);

const PROBE_MS = 400;
const RATE = 5;
const never = async () => null;
const provider = subscribe({
  name: 'provider',
  channel: 'test.event',
  retry: { maxAttempts: 3, baseDelayMs: 60_000, maxDelayMs: 60_000 },
  circuit: { failures: 3, windowMs: 60_000, probeMs: PROBE_MS, probeMaxMs: 1_000, releasePerSecond: RATE },
  handler: never,
});
const buggy = subscribe({
  name: 'buggy',
  channel: 'test.other',
  retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 50 },
  circuit: { failures: 2, windowMs: 60_000, probeMs: 1_000 },
  handler: async (payload) => {
    if (payload.n % 2 === 0) throw new TypeError("Cannot read properties of undefined (reading 'email')");
    throw new PermanentError('inactive recipient', { code: 'postmark_406' });
  },
});

let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
  await syncSubscriptions(t.db, [provider, buggy], 30_000);
  await publishMany(
    t.db,
    Array.from({ length: 12 }, (_, n) => ({
      channel: 'test.event' as const,
      payload: { n, mode: 'ok' as const },
    })),
  );
});
afterAll(async () => {
  await t?.drop();
});

interface Claimed {
  delivery_id: number;
  attempt: number;
  /** The send slot, epoch ms on the database's clock (rate-paced claims), else null. */
  send_at_ms: number | null;
}

async function claim(worker: string, limit: number, sub = 'provider'): Promise<Claimed[]> {
  return t.query<Claimed>(
    'SELECT delivery_id::int, attempt, send_at_ms FROM herald.claim_many($1, ARRAY[$2], ARRAY[$3::int])',
    [worker, sub, limit],
  );
}

/** Records the claimed attempts as failed; `unavailable`: the provider was down (ErrorCode 100). */
async function fail(worker: string, rows: Claimed[], unavailable = true) {
  const n = rows.length;
  return t.query<{ delivery_id: number; outcome: string; next_run_at: Date | null }>(
    `SELECT delivery_id::int, outcome, next_run_at FROM herald.fail_many($1, $2::bigint[], $3::int[],
       array_fill(NULL::timestamptz, ARRAY[$4::int]), array_fill('Postmark is down for maintenance'::text, ARRAY[$4::int]),
       array_fill(NULL::text, ARRAY[$4::int]), array_fill('postmark_100'::text, ARRAY[$4::int]),
       array_fill(NULL::bigint, ARRAY[$4::int]), array_fill(false, ARRAY[$4::int]),
       array_fill(NULL::jsonb, ARRAY[$4::int]), array_fill($5::boolean, ARRAY[$4::int]))`,
    [worker, rows.map((r) => r.delivery_id), rows.map((r) => r.attempt), n, unavailable],
  );
}

async function complete(worker: string, rows: Claimed[]) {
  return t.query<{ delivery_id: number }>(
    `SELECT delivery_id::int FROM herald.complete_many($1, $2::bigint[], $3::int[],
       array_fill(NULL::timestamptz, ARRAY[$4::int]), array_fill(NULL::jsonb, ARRAY[$4::int]))`,
    [worker, rows.map((r) => r.delivery_id), rows.map((r) => r.attempt), rows.length],
  );
}

interface Circuit {
  state: string;
  failures: number;
  probes: number;
  probe_interval_ms: number | null;
  next_probe_in_ms: number | null;
  outages: number;
}

async function circuit(sub = 'provider'): Promise<Circuit | undefined> {
  const [row] = await t.query<Circuit>(
    `SELECT state, failures, probes, probe_interval_ms, outages,
            (extract(epoch FROM next_probe_at - now()) * 1000)::float8 AS next_probe_in_ms
     FROM herald.circuits WHERE subscription = $1`,
    [sub],
  );
  return row;
}

async function delivery(id: number) {
  const [row] = await t.query<{ state: string; attempts: number; spent: number; due: boolean }>(
    `SELECT state, attempts, attempts - attempts_before_replay AS spent, run_at <= now() AS due
     FROM herald.deliveries WHERE id = $1`,
    [id],
  );
  return row!;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('provider circuit breaker (SQL contract)', () => {
  let held: Claimed[] = [];

  it('a run of provider failures opens the circuit; the failures that open it are held, not spent', async () => {
    const first = await claim('w1', 2);
    expect(await fail('w1', first)).toHaveLength(2);
    expect(await circuit()).toMatchObject({ state: 'closed', failures: 2 });
    // Below the threshold they are ordinary retries: spent, on the backoff (a minute here).
    for (const r of first) expect(await delivery(r.delivery_id)).toMatchObject({ spent: 1, due: false });

    held = await claim('w1', 2);
    const failed = await fail('w1', held);
    expect(failed.map((f) => f.next_run_at)).toEqual([null, null]); // held: no retry scheduled
    expect(await circuit()).toMatchObject({ state: 'open', failures: 4, probes: 0, outages: 1 });
    for (const r of held)
      expect(await delivery(r.delivery_id)).toMatchObject({
        state: 'pending',
        attempts: 1,
        spent: 0,
        due: true,
      });
    // The attempt is in the history all the same (what the provider said), without a next run.
    const [logged] = await t.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM herald.attempts
       WHERE delivery_id = ANY($1::bigint[]) AND outcome = 'failed' AND error_code = 'postmark_100' AND next_run_at IS NULL`,
      [held.map((r) => r.delivery_id)],
    );
    expect(logged!.n).toBe(2);
  });

  it('while open, claims return nothing until the probe is due', async () => {
    expect(await claim('w1', 10)).toEqual([]);
    expect(await claim('w2', 10)).toEqual([]);
    expect((await circuit())!.probes).toBe(0);
  });

  it('one probe at a time for every worker, at growing intervals', async () => {
    await sleep(PROBE_MS + 50);
    // Two workers claim at once: the circuit row is locked by one, the other sees the probe taken.
    const [a, b] = await Promise.all([claim('w1', 10), claim('w2', 10)]);
    expect(a.length + b.length).toBe(1);
    const after = (await circuit())!;
    expect(after).toMatchObject({ state: 'open', probes: 1, probe_interval_ms: PROBE_MS * 2 });
    expect(after.next_probe_in_ms).toBeGreaterThan(0);
    expect(after.next_probe_in_ms).toBeLessThanOrEqual(2 * PROBE_MS);
    // The probe fails too: held again, its attempt not spent.
    const probe = [...a, ...b];
    expect((await fail(a.length ? 'w1' : 'w2', probe))[0]!.next_run_at).toBeNull();
    expect(await delivery(probe[0]!.delivery_id)).toMatchObject({ spent: 0, state: 'pending' });
    expect(await claim('w1', 10)).toEqual([]);
    // The next probe waits twice as long (measured from when the probe went out).
    const waiting = (await circuit())!.next_probe_in_ms!;
    expect(waiting).toBeLessThanOrEqual(2 * PROBE_MS);
    if (waiting > 150) expect(await claim('w1', 10)).toEqual([]);
    await sleep((await circuit())!.next_probe_in_ms! + 20);
    const second = await claim('w2', 10);
    expect(second).toHaveLength(1);
    expect(await circuit()).toMatchObject({ probes: 2, probe_interval_ms: 1_000 }); // capped
    expect(await fail('w2', second)).toHaveLength(1);
  });

  it('a late outcome after the circuit opened counts nothing and changes nothing', async () => {
    await sleep((await circuit())!.next_probe_in_ms! + 20);
    const [probe] = await claim('w1', 1);
    expect(probe).toBeDefined();
    const before = (await circuit())!;
    // w1 stalls: its lease expires and the rescuer takes the delivery back.
    await t.query(
      `UPDATE herald.deliveries SET lease_expires_at = now() - interval '1 second' WHERE id = $1`,
      [probe!.delivery_id],
    );
    await t.query('SELECT herald.rescue_expired()');
    const rescued = await delivery(probe!.delivery_id);
    expect(rescued.state).toBe('pending');
    // Its failure arrives late, twice (a retried batch): fenced out both times.
    expect(await fail('w1', [probe!])).toEqual([]);
    expect(await fail('w1', [probe!])).toEqual([]);
    expect(await circuit()).toMatchObject({ failures: before.failures, state: 'open' });
    expect(await delivery(probe!.delivery_id)).toEqual(rescued);
    // A success that comes too late does not close the circuit either.
    expect(await complete('w1', [probe!])).toEqual([]);
    expect((await circuit())!.state).toBe('open');
  });

  it('the first success releases the held deliveries at the configured pace, then closes', async () => {
    await sleep((await circuit())!.next_probe_in_ms! + 20);
    const probe = await claim('w2', 10);
    expect(probe).toHaveLength(1);
    expect(await complete('w2', probe)).toHaveLength(1);
    expect(await circuit()).toMatchObject({ state: 'half-open' });
    // Claims from two workers as fast as they like: the send-rate limiter (send_pacing.sql) gives
    // them send slots 1/RATE apart; a claim counts as released when its last slot comes.
    const released: { at: number; n: number }[] = [];
    const started = Date.now();
    let c = await circuit();
    while (c?.state === 'half-open' && Date.now() - started < 10_000) {
      const [a, b] = await Promise.all([claim('w1', 10), claim('w2', 10)]);
      for (const r of [...a, ...b]) released.push({ at: r.send_at_ms!, n: 1 });
      released.sort((x, y) => x.at - y.at);
      await Promise.all([complete('w1', a), complete('w2', b)]);
      await sleep(20);
      c = await circuit();
    }
    expect(c?.state).toBe('closed');
    const total = released.reduce((s, r) => s + r.n, 0);
    // 12 published, 1 was the successful probe; the 2 first failures wait for their backoff.
    if (total !== 12 - 1 - 2)
      console.log(
        await t.query(
          `SELECT id, state, attempts, attempts_before_replay, run_at > now() AS later FROM herald.deliveries WHERE subscription = 'provider' ORDER BY id`,
        ),
      );
    expect(total).toBe(12 - 1 - 2);
    // Send slots in any span of T seconds: at most RATE·T + 1, across both claimers.
    for (const r of released) {
      const inSecond = released
        .filter((x) => x.at >= r.at && x.at < r.at + 1_000)
        .reduce((s, x) => s + x.n, 0);
      expect(inSecond).toBeLessThanOrEqual(RATE + 1);
    }
    const span = (released.at(-1)!.at - released[0]!.at) / 1000;
    expect(total - released[0]!.n).toBeLessThanOrEqual(RATE * span + 1);
    // Nothing died, and the deliveries held since the circuit opened spent one attempt: the one
    // that succeeded.
    const [dead] = await t.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM herald.deliveries WHERE subscription = 'provider' AND state = 'dead'`,
    );
    expect(dead!.n).toBe(0);
    for (const r of held)
      expect(await delivery(r.delivery_id)).toMatchObject({ state: 'succeeded', spent: 1 });
  });

  it('a success between provider failures breaks the run: the circuit stays closed', async () => {
    await publishMany(
      t.db,
      Array.from({ length: 6 }, (_, n) => ({ channel: 'test.event' as const, payload: { n: 100 + n } })),
    );
    const rows = await claim('w1', 6);
    expect(rows).toHaveLength(6);
    await fail('w1', rows.slice(0, 2));
    await complete('w1', rows.slice(2, 3));
    expect(await circuit()).toMatchObject({ state: 'closed', failures: 0 });
    await fail('w1', rows.slice(3, 5));
    expect(await circuit()).toMatchObject({ state: 'closed', failures: 2 });
    await complete('w1', rows.slice(5));
    expect(await circuit()).toMatchObject({ state: 'closed', failures: 0, outages: 1 });
  });

  it('ordinary failures, however many, do not count', async () => {
    await publishMany(
      t.db,
      Array.from({ length: 5 }, (_, n) => ({ channel: 'test.event' as const, payload: { n: 200 + n } })),
    );
    const rows = await claim('w1', 5);
    await fail('w1', rows, false);
    expect(await circuit()).toMatchObject({ state: 'closed', failures: 0 });
  });
});

describe('provider circuit breaker (worker)', () => {
  let worker: Worker;
  afterAll(async () => {
    await worker?.stop();
  });

  it('a bug in a handler and a permanent refusal never trip it: they fail and die as before', async () => {
    worker = inProcessWorker(t, [buggy], { pollIntervalMs: 20 });
    await worker.start();
    await publishMany(
      t.db,
      Array.from({ length: 10 }, (_, n) => ({ channel: 'test.other' as const, payload: { n } })),
    );
    await waitFor('every buggy delivery dead', async () => {
      const [row] = await t.query<{ dead: number }>(
        `SELECT count(*)::int AS dead FROM herald.deliveries WHERE subscription = 'buggy' AND state = 'dead'`,
      );
      return row!.dead === 10;
    });
    expect(await circuit('buggy')).toBeUndefined();
    const [spent] = await t.query<{ bugs: number; permanent: number }>(
      `SELECT count(*) FILTER (WHERE e.payload->>'n' IN ('0','2','4','6','8') AND d.attempts = 3)::int AS bugs,
              count(*) FILTER (WHERE e.payload->>'n' IN ('1','3','5','7','9') AND d.attempts = 1)::int AS permanent
       FROM herald.deliveries d JOIN herald.events e ON e.id = d.event_id WHERE d.subscription = 'buggy'`,
    );
    expect(spent).toEqual({ bugs: 5, permanent: 5 });
  });
});
