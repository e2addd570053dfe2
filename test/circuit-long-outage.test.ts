import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channels } from '../lib/channels';
import { createPostmarkSender } from '../lib/email/postmark';
import { emailSubscriptions } from '../lib/email/subscriptions';
import { parseLookup } from '../lib/lookup/parse';
import { eventVerdict } from '../lib/lookup/verdict';
import { publishMany } from '../lib/publish';
import { lookup } from '../lib/queries/lookup';
import { type RunningSandbox, startSandbox } from '../lib/sandbox/server';
import { endSandboxMaintenance, startSandboxMaintenance } from '../lib/sandbox/settings';
import { Worker } from '../worker/worker';
import { createTestDatabase, type TestDatabase, waitFor } from './helpers/db';

/**
 * Issue #21's acceptance story: Postmark (the sandbox) in maintenance for 24 hours, on a clock
 * shortened 3,600 times — a second of the test stands for an hour:
 *   outage            24 h  → OUTAGE_MS = 24 s
 *   retry policy      20 attempts, 10 s doubling to 1 h → 3 ms doubling to 1 s: without the
 *                     circuit breaker every email would be dead after ~11.4 s (11.4 h), half-way
 *                     through the outage (the story's "an outage longer than ~11 h fills the DLQ")
 *   probes            5 s doubling to 2 min → 10 ms doubling to 50 ms (5 s / 3,600 is below the
 *                     worker's 20 ms poll; 2 min / 3,600 = 33 ms, rounded up)
 *   "within 5 min"    5 min / 3,600 = 83 ms is below what a loaded test machine can time, and
 *                     the release pace is the provider's capacity, which does not shrink with the
 *                     clock: it is kept in real seconds. The design gives one probe wait +
 *                     held ÷ rate (here 4 s; measured 4.5–4.9 s alone); a loaded machine misses
 *                     send slots (given back, sent later), so the bound asserted is twice that
 *                     + 5 s. For production defaults (2 min, 20/s) the design figure is
 *                     2 min + 1,240 ÷ 20 s ≈ 3 min for the story's 1,240 emails, inside 5 minutes.
 * Run longer with CIRCUIT_OUTAGE_MS=60000 (then one test second is 24 h / 60 s = 24 min).
 */
const OUTAGE_MS = Number(process.env.CIRCUIT_OUTAGE_MS ?? 24_000);
const SCALE = (24 * 3_600_000) / OUTAGE_MS;
const ORDERS = 240;
const RATE = 60; // released per second, real time
const PROBE_MAX_MS = 50;
const TOKEN = 'sandbox-token';

let t: TestDatabase;
let sandbox: RunningSandbox;
let worker: Worker;

beforeAll(async () => {
  t = await createTestDatabase();
  sandbox = await startSandbox({
    port: 0,
    databaseUrl: t.url,
    serverToken: TOKEN,
    log: pino({ level: 'silent' }),
  });
  worker = new Worker({
    pool: t.pool,
    url: t.url,
    channels,
    subscriptions: emailSubscriptions({
      sender: createPostmarkSender({
        apiUrl: sandbox.url,
        serverToken: TOKEN,
        from: 'Shop <shop@example.com>',
        messageStream: 'outbound',
      }),
      retry: {
        maxAttempts: 20,
        baseDelayMs: Math.max(1, Math.round(10_000 / SCALE)),
        maxDelayMs: Math.round(3_600_000 / SCALE),
      },
      circuit: {
        failures: 5,
        windowMs: 1_000,
        probeMs: 10,
        probeMaxMs: PROBE_MAX_MS,
        releasePerSecond: RATE,
      },
      concurrency: 20,
    }),
    log: pino({ level: 'silent' }),
    pollIntervalMs: 20,
  });
  await worker.start();
});
afterAll(async () => {
  await worker?.stop();
  await sandbox?.close();
  await t?.drop();
});

describe('Postmark down for 24 hours (scaled)', () => {
  it(
    'holds every email without spending attempts, probes alone, then sends each exactly once at the configured pace',
    async () => {
      // Half the orders before the outage is noticed, half during it.
      const order = (i: number) => ({
        channel: 'order.approved' as const,
        payload: {
          orderId: `order-${i}`,
          customer: { email: `customer${i}@example.com`, name: `Customer ${i}` },
          total: 10 + i,
          items: [{ name: 'Tea', quantity: 1, price: 10 + i }],
        },
        options: { key: `order:order-${i}` },
      });
      await startSandboxMaintenance(t.db, { durationMs: OUTAGE_MS + 60_000, actor: 'test' });
      const outageStart = new Date();
      await publishMany(
        t.db,
        Array.from({ length: ORDERS / 2 }, (_, i) => order(i)),
      );
      await waitFor('the circuit to open', async () => {
        const [c] = await t.query<{ state: string }>(
          `SELECT state FROM herald.circuits WHERE subscription = 'order-confirmation-email'`,
        );
        return c?.state === 'open';
      });
      await new Promise((r) => setTimeout(r, OUTAGE_MS / 2));
      await publishMany(
        t.db,
        Array.from({ length: ORDERS / 2 }, (_, i) => order(ORDERS / 2 + i)),
      );
      await new Promise((r) => setTimeout(r, OUTAGE_MS / 2));
      // Well past the whole retry schedule (11.4 scaled hours): nothing is dead.
      const [during] = await t.query<{
        dead: number;
        spentMax: number;
        state: string;
        probes: number;
        openedAt: Date;
      }>(
        `SELECT c.opened_at AS "openedAt", (SELECT count(*)::int FROM herald.deliveries WHERE state = 'dead') AS dead,
                (SELECT max(attempts - attempts_before_replay)::int FROM herald.deliveries
                 WHERE subscription = 'order-confirmation-email') AS "spentMax",
                c.state, c.probes
         FROM herald.circuits c WHERE c.subscription = 'order-confirmation-email'`,
      );
      expect(during).toMatchObject({ dead: 0, state: 'open' });
      // A run of failures spends at most failures − 1 attempts before the circuit opens.
      expect(during!.spentMax).toBeLessThanOrEqual(4);

      // What support staff read when a customer asks: the provider is down, this email is held
      // with the others, it goes out when Postmark is back.
      const found = await lookup(t.db, parseLookup('order:order-200')!, { mask: false });
      const verdict = eventVerdict(found.events[0]!, { now: new Date(), timeZone: 'UTC' });
      expect(verdict.tone).toBe('waiting');
      expect(verdict.headline).toMatch(
        /^Postmark has been down since \d\d:\d\d:\d\d; Herald is holding this email with \d+ others and sends them when it is back$/,
      );
      const others = Number(/with (\d+) others/.exec(verdict.headline)![1]);
      expect(others).toBeGreaterThanOrEqual(ORDERS / 2 - 1 - 20); // at least the second half's, not counting those in hand
      expect(others).toBeLessThanOrEqual(ORDERS - 1);

      await endSandboxMaintenance(t.db, 'test');
      const outageEnd = new Date();

      await waitFor(
        `all ${ORDERS} order emails to succeed`,
        async () => {
          const [row] = await t.query<{ done: number; dead: number }>(
            `SELECT count(*) FILTER (WHERE state = 'succeeded')::int AS done,
                    count(*) FILTER (WHERE state = 'dead')::int AS dead
             FROM herald.deliveries WHERE subscription = 'order-confirmation-email'`,
          );
          if (row!.dead > 0) throw new Error(`${row!.dead} deliveries are dead`);
          return row!.done === ORDERS;
        },
        60_000,
      );

      // Provider attempts during the outage: the probes and nothing else. What the worker held when
      // the circuit opened — running and claimed ahead, concurrency + prefetch = 40 — had started
      // before it opened (and opened it) or goes back unsent: after a provider-unavailable failure a
      // lane starts nothing until that failure is recorded, and "held" sends back the rest
      // (Worker.providerFailureRecorded). Counted by when each attempt started (the attempt log,
      // the worker's clock), not when the sandbox received it, which on a loaded machine can lag.
      const [circuit] = await t.query<{ probes: number; outages: number; state: string }>(
        `SELECT probes, outages, state FROM herald.circuits WHERE subscription = 'order-confirmation-email'`,
      );
      const [outbox] = await t.query<{
        refused: number;
        refusedOpen: number;
        accepted: number;
        orders: number;
        early: number;
      }>(
        `SELECT count(*) FILTER (WHERE status = 'rejected' AND error_code = 100)::int AS refused,
                count(*) FILTER (WHERE status = 'rejected' AND error_code = 100
                                   AND received_at > $2::timestamptz + interval '500 milliseconds')::int AS "refusedOpen",
                count(*) FILTER (WHERE status = 'accepted')::int AS accepted,
                count(DISTINCT subject) FILTER (WHERE status = 'accepted')::int AS orders,
                count(*) FILTER (WHERE status = 'accepted' AND received_at < $1)::int AS early
         FROM herald.sandbox_messages`,
        [outageEnd, during!.openedAt],
      );
      if (process.env.CIRCUIT_DEBUG)
        console.log(
          await t.query(
            `SELECT round(extract(epoch FROM received_at - $1::timestamptz) * 1000) AS ms, subject
             FROM herald.sandbox_messages WHERE status = 'rejected' ORDER BY received_at LIMIT 80`,
            [during!.openedAt],
          ),
        );
      expect(circuit!.outages).toBe(1);
      expect(outbox).toMatchObject({ accepted: ORDERS, orders: ORDERS, early: 0 });
      // In all: the probes, plus what the worker held when it opened (running and claimed ahead:
      // concurrency + prefetch = 40), each refused once: those are what opened it. On a loaded
      // machine the last of them reach the sandbox up to ~1 s after the circuit opened (the held
      // answer that makes the worker hand back the rest takes that long), so they cannot be told
      // apart from probes by time; they can by count.
      const [duringOutage] = await t.query<{ started: number; before: number }>(
        `SELECT count(*) FILTER (WHERE started_at > $1)::int AS started,
                count(*) FILTER (WHERE started_at <= $1)::int AS before
         FROM herald.attempt_log WHERE delivery_id IN (
           SELECT id FROM herald.deliveries WHERE subscription = 'order-confirmation-email')
           AND started_at < $2`,
        [during!.openedAt, outageEnd],
      );
      expect(duringOutage!.started).toBeLessThanOrEqual(circuit!.probes);
      // Before it opened: the run of failures that opened it and what was in flight with them.
      expect(duringOutage!.before).toBeLessThanOrEqual(5 + 20);
      expect(outbox!.refused).toBe(duringOutage!.started + duringOutage!.before);
      // Without the breaker: 20 attempts each, 4,800 refusals, and every email dead.

      // Every order exactly once, the last within 2 × (one probe wait + held ÷ rate) + 5 s of the end.
      const sends = await t.query<{ at: Date }>(
        `SELECT received_at AS at FROM herald.sandbox_messages WHERE status = 'accepted' ORDER BY received_at`,
      );
      const times = sends.map((s) => new Date(s.at).getTime());
      const lastAfterEnd = times.at(-1)! - outageEnd.getTime();
      expect(lastAfterEnd).toBeLessThanOrEqual(2 * (PROBE_MAX_MS + (ORDERS / RATE) * 1000) + 5_000);
      // …at no more than the configured rate: the release goes through the send-rate limiter, so
      // in any second at most RATE × 1.05 + 1 sends start (worker/send-slot.ts); over the whole
      // release, RATE.
      const started = (
        await t.query<{ ms: number }>(
          `SELECT extract(epoch FROM success_started_at)::float8 * 1000 AS ms FROM herald.deliveries
           WHERE subscription = 'order-confirmation-email' AND success_started_at > $1 ORDER BY 1`,
          [outageEnd],
        )
      ).map((r) => r.ms);
      for (let i = 0; i < started.length; i++) {
        let j = i;
        while (j < started.length && started[j]! < started[i]! + 1_000) j++;
        expect(j - i, `${j - i} sends started in the second from ${started[i]}`).toBeLessThanOrEqual(
          Math.floor(RATE * 1.05) + 1,
        );
      }
      const spanS = (times.at(-1)! - times[0]!) / 1000;
      expect(ORDERS - 1).toBeLessThanOrEqual(RATE * spanS + RATE);

      // Held, not failed: nothing died, and no email spent more than failures − 1 attempts on the
      // outage (plus the one that succeeded).
      const [spent] = await t.query<{ max: number; dead: number }>(
        `SELECT max(attempts - attempts_before_replay)::int AS max, count(*) FILTER (WHERE state = 'dead')::int AS dead
         FROM herald.deliveries WHERE subscription = 'order-confirmation-email'`,
      );
      expect(spent!.dead).toBe(0);
      expect(spent!.max).toBeLessThanOrEqual(5);
      console.log(
        `24 h outage scaled to ${OUTAGE_MS / 1000} s (×${SCALE}): ${outbox!.refused} refused sends ` +
          `(${duringOutage!.before} started before it opened, ${duringOutage!.started} after; ${circuit!.probes} probes), ${ORDERS} emails sent once each, the last ` +
          `${lastAfterEnd} ms after the end, ${(ORDERS / spanS).toFixed(1)}/s (configured ${RATE}/s); ` +
          `outage began ${outageStart.toISOString()}`,
      );
    },
    OUTAGE_MS + 120_000,
  );
});
