import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../lib/db/client';
import { createPublisher } from '../lib/publish';
import { type Subscription, subscriptionsFor } from '../lib/subscriptions/define';
import type { Worker } from '../worker/worker';
import { testChannels } from './fixtures/channels';
import { createTestDatabase, type TestDatabase, waitFor } from './helpers/db';
import { inProcessWorker } from './helpers/in-process-worker';
import { type LinkProxy, startLinkProxy } from './helpers/netns-proxy';

/**
 * A worker cut off from the database mid-handler stops its handlers once their leases have
 * certainly run out (worker/lease-deadline.ts), on its own clock: its heartbeats fail, so no
 * answer from the database will ever tell it, while another worker rescues the deliveries and
 * runs them again. A worker whose heartbeats get through keeps its handlers running however long
 * they take. Worker A reaches the database through a TCP forwarder in this process; closing it
 * (every socket destroyed, new connections refused) is the cut, opening it again the heal.
 */
const { publishMany } = createPublisher(testChannels);
const subscribe = subscriptionsFor(testChannels);
const LEASE_MS = 1_500;
const HEARTBEAT_MS = LEASE_MS / 3; // worker/worker.ts: every third of the shortest lease
const SLACK_MS = 1_500; // a machine shared with other test files
const EXPIRED = 'lease expired without renewal: the database was unreachable';

let t: TestDatabase;
const workers: Worker[] = [];
const proxies: LinkProxy[] = [];
const pools: { end(): Promise<void> }[] = [];
/** Opens a cut link again: a failed test must not leave its worker unable to stop. */
let heal: (() => Promise<void>) | undefined;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterEach(async () => {
  await heal?.();
  for (const w of workers.splice(0)) await w.stop();
  for (const p of proxies.splice(0)) await p.close();
  for (const p of pools.splice(0)) await p.end();
  await t.query('DELETE FROM herald.workers');
});
afterAll(() => t?.drop());

/** A promise settled when `signal` aborts, with the moment it did (performance.now()). */
function abortOf(signal: AbortSignal): Promise<number> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(performance.now());
    else signal.addEventListener('abort', () => resolve(performance.now()), { once: true });
  });
}

/** `promise`, or a failure naming `what` after `ms`. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Resolves when called `n` times; each call's value is kept. */
function gather<T>(n: number) {
  const values: T[] = [];
  let done: (v: T[]) => void = () => {};
  const all = new Promise<T[]>((resolve) => (done = resolve));
  return {
    all,
    add(value: T) {
      values.push(value);
      if (values.length === n) done(values);
    },
  };
}

describe('a worker cut off from the database mid-handler', () => {
  it('aborts its handlers and batch calls once their leases certainly ran out; another worker takes over', {
    timeout: 60_000,
  }, async () => {
    // What A's first attempts see: each handler's signal, and each batch call's and item's.
    const single = gather<{ deliveryId: number; aborted: Promise<number> }>(2);
    const batchCall = gather<{ call: Promise<number>; items: Promise<number>[]; ids: number[] }>(1);
    // Attempt 1 (A's) waits for its signal and then gives up, as a handler that honours it
    // would; attempt 2 (the taker's) finishes at once.
    const subscriptions: Subscription[] = [
      subscribe({
        name: 'lease-single',
        channel: 'test.event',
        leaseMs: LEASE_MS,
        handler: async (_, ctx) => {
          if (ctx.attempt > 1) return { taker: true };
          const aborted = abortOf(ctx.signal);
          single.add({ deliveryId: ctx.deliveryId, aborted });
          await aborted;
          throw new Error('stopped: the lease is gone');
        },
      }),
      subscribe({
        name: 'lease-batch',
        channel: 'test.event',
        leaseMs: LEASE_MS,
        batch: {
          size: 2,
          lingerMs: 200,
          handler: async (items, signal) => {
            if (items.some((i) => i.context.attempt > 1))
              return items.map(() => ({ result: { taker: true } }));
            const call = abortOf(signal);
            batchCall.add({
              call,
              items: items.map((i) => abortOf(i.context.signal)),
              ids: items.map((i) => i.context.deliveryId),
            });
            await call;
            return items.map(() => ({ error: new Error('stopped: the leases are gone') }));
          },
        },
      }),
    ];

    const proxy = await startLinkProxy('127.0.0.1', t.url);
    proxies.push(proxy);
    const viaProxy = proxy.urlFor(t.url);
    const pool = createPool(viaProxy, {
      max: 4,
      applicationName: 'herald-worker-a',
      connectionTimeoutMs: 1_000,
    });
    pools.push(pool);
    const logs: { msg?: string; deliveryId?: number }[] = [];
    const a = inProcessWorker(t, subscriptions, {
      pool,
      url: viaProxy,
      defaultLeaseMs: LEASE_MS,
      shutdownTimeoutMs: 1_000,
      log: pino({ level: 'warn' }, { write: (line: string) => void logs.push(JSON.parse(line)) }),
    });
    workers.push(a);
    await a.start();
    await publishMany(
      t.db,
      [1, 2].map((n) => ({ channel: 'test.event' as const, payload: { n } })),
    );
    const handlers = await within(10_000, 'A to start its handlers', single.all);
    const [batch] = await within(10_000, 'A to start its batch call', batchCall.all);
    expect(batch!.ids).toHaveLength(2);
    const held = [...handlers.map((h) => h.deliveryId), ...batch!.ids].sort((x, y) => x - y);

    const cutAt = performance.now();
    await proxy.close();
    heal = async () => {
      heal = undefined;
      proxies.push(await startLinkProxy('127.0.0.1', t.url, proxy.port));
    };
    // The last renewal reached the database at most a heartbeat before the cut; its lease
    // ends at most LEASE_MS after it was sent, and the next check (each heartbeat tick) sees it.
    const bound = LEASE_MS + HEARTBEAT_MS + SLACK_MS;
    const abortedAt = await within(
      bound,
      'every signal of A to abort',
      Promise.all([...handlers.map((h) => h.aborted), batch!.call, ...batch!.items]),
    );
    for (const at of abortedAt) expect(at - cutAt).toBeLessThan(bound);
    // Logged once per delivery, naming it.
    const expired = logs.filter((l) => l.msg === EXPIRED).map((l) => Number(l.deliveryId));
    expect(expired.sort((x, y) => x - y)).toEqual(held);

    // The database never heard from A: B's rescue returns the deliveries, B runs them again.
    const b = inProcessWorker(t, subscriptions, { defaultLeaseMs: LEASE_MS });
    workers.push(b);
    await b.start();
    await waitFor('B to finish what A held', async () => {
      const [r] = await t.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM herald.deliveries WHERE id = ANY($1) AND state = 'succeeded'`,
        [held],
      );
      return r!.n === held.length;
    });

    // Healed: A's late failures reach the database and are refused by the fence.
    await heal();
    await waitFor('the database to refuse every late outcome of A', async () => {
      const refused = new Set(
        logs.filter((l) => l.msg?.startsWith('completion refused')).map((l) => Number(l.deliveryId)),
      );
      return held.every((id) => refused.has(id));
    });
    const attempts = await t.query<{ delivery_id: number; attempt: number; outcome: string; w: string }>(
      `SELECT delivery_id, attempt, outcome, worker AS w FROM herald.attempts
         WHERE delivery_id = ANY($1) ORDER BY delivery_id, attempt`,
      [held],
    );
    expect(attempts.map((x) => [x.delivery_id, x.attempt, x.outcome, x.w])).toEqual(
      held.flatMap((id) => [
        [id, 1, 'lost', a.id],
        [id, 2, 'succeeded', b.id],
      ]),
    );
    // Still one log line each: the deadline let each delivery go once.
    expect(logs.filter((l) => l.msg === EXPIRED)).toHaveLength(held.length);
  });
});

describe('a worker whose heartbeats reach the database', () => {
  it('keeps a handler running three leases long: its heartbeats renew the lease', {
    timeout: 30_000,
  }, async () => {
    let signal: AbortSignal | undefined;
    const w = inProcessWorker(
      t,
      [
        subscribe({
          name: 'lease-renewed',
          channel: 'test.other',
          leaseMs: LEASE_MS,
          handler: async (_, ctx) => {
            signal = ctx.signal;
            const aborted = abortOf(ctx.signal);
            const ran = new Promise((resolve) => setTimeout(resolve, 3 * LEASE_MS));
            await Promise.race([aborted, ran]);
            return { aborted: ctx.signal.aborted };
          },
        }),
      ],
      { defaultLeaseMs: LEASE_MS },
    );
    workers.push(w);
    await w.start();
    const [event] = await publishMany(t.db, [{ channel: 'test.other' as const, payload: { n: 1 } }]);
    const [done] = await waitFor('the long handler to finish', async () => {
      const rows = await t.query<{ state: string; attempts: number; result: { aborted: boolean } | null }>(
        `SELECT d.state, d.attempts, a.result FROM herald.deliveries d
         LEFT JOIN herald.attempts a ON a.delivery_id = d.id AND a.attempt = d.attempts
         WHERE d.event_id = $1 AND d.subscription = 'lease-renewed'`,
        [event!.id],
      );
      return rows[0]?.state === 'succeeded' && rows;
    });
    expect(signal?.aborted).toBe(false);
    expect(done).toEqual({ state: 'succeeded', attempts: 1, result: { aborted: false } });
  });
});
