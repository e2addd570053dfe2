import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channels } from '../lib/channels';
import { emailSubscriptions } from '../lib/email/subscriptions';
import { createPublisher } from '../lib/publish';
import { subscriptionsFor } from '../lib/subscriptions/define';
import { syncSubscriptions } from '../lib/subscriptions/sync';
import { SEND_SLOT_TOLERANCE_MS } from '../worker/send-slot';
import { testChannels } from './fixtures/channels';
import { createTestDatabase, type TestDatabase, waitFor } from './helpers/db';
import { inProcessWorker } from './helpers/in-process-worker';
import { startWorkerProcess, type WorkerProcess } from './helpers/worker-process';

/**
 * Issue #21 item 4: a send rate shared by every worker process, enforced in PostgreSQL
 * (sql/functions/send_pacing.sql) and kept by the workers (worker/send-slot.ts).
 * The acceptance case: two worker processes, email limited to 50/s, a local Postmark-compatible
 * receiver, a minute of backlog (SEND_RATE_SECONDS=10 shortens it: the bound does not depend on the
 * length). The bound asserted is the limiter's own, on when each send started (the attempt's start,
 * recorded by the worker): slots 1/rate apart across both processes, each send started within
 * SEND_SLOT_TOLERANCE_MS (50 ms) after its slot or not at all, so at most 50 × 1.05 + 1 = 53 in
 * any second, however loaded the machine. What the receiver sees adds the way there (rendering,
 * the HTTP client, the receiver's own event loop): 54 here on a quiet run, up to 63 with the
 * machine's load at 20 on 2 cores, when a worker process is descheduled between starting a send and
 * writing it. That part is the machine's, not the limiter's: it is printed, and held only to what
 * catches a broken limiter (a limit per process would show 100).
 * A busy machine also makes the workers miss slots (the delivery goes back and is sent later):
 * that lowers the throughput, never raises the count.
 */
const RATE = 50;
const SECONDS = Number(process.env.SEND_RATE_SECONDS ?? 60);
/** rate × (1 + SEND_SLOT_TOLERANCE_MS / 1 s) + 1 */
const STARTED_BOUND = Math.floor(RATE * (1 + SEND_SLOT_TOLERANCE_MS / 1_000)) + 1;

let t: TestDatabase;
let receiver: http.Server;
let receiverUrl: string;
/** Arrival times (epoch ms) and recipients of the emails the receiver accepted. */
const received: { at: number; to: string }[] = [];

/** Most arrivals in any window [t, t + 1 s). */
function busiestSecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (j < sorted.length && sorted[j]! < sorted[i]! + 1_000) j++;
    most = Math.max(most, j - i);
  }
  return most;
}

beforeAll(async () => {
  t = await createTestDatabase();
  let id = 0;
  receiver = http.createServer((req, res) => {
    const at = Date.now();
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const to = (JSON.parse(body) as { To: string }).To;
      received.push({ at, to });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          To: to,
          SubmittedAt: new Date(at).toISOString(),
          MessageID: `m-${++id}`,
          ErrorCode: 0,
          Message: 'OK',
        }),
      );
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => receiver?.close(r));
  await t?.drop();
});

describe('a send rate across worker processes', () => {
  it(
    `two workers limited to ${RATE}/s: at most ${STARTED_BOUND} sends start in any second over ${SECONDS} s of backlog, each email once`,
    async () => {
      // A database and a receiver log of its own, so that CI's retry starts clean.
      received.length = 0;
      const t = await createTestDatabase();
      const { publishMany } = createPublisher(channels);
      // The backlog is there before the workers start: declare the subscription as they will.
      await syncSubscriptions(t.db, emailSubscriptions({ ratePerSecond: RATE }), 30_000);
      const total = RATE * SECONDS + RATE;
      for (let from = 0; from < total; from += 1_000)
        await publishMany(
          t.db,
          Array.from({ length: Math.min(1_000, total - from) }, (_, i) => ({
            channel: 'email.send' as const,
            payload: { to: `c${from + i}@example.com`, subject: `Order ${from + i}`, text: 'Thanks' },
          })),
        );
      const env = {
        HERALD_SUBSCRIPTIONS: 'worker/subscriptions.ts',
        POSTMARK_SERVER_TOKEN: 'test-token',
        POSTMARK_API_URL: receiverUrl,
        HERALD_EMAIL_RATE_PER_SECOND: String(RATE),
      };
      const workers: WorkerProcess[] = [];
      try {
        workers.push(
          ...(await Promise.all([startWorkerProcess(t.url, env), startWorkerProcess(t.url, env)])),
        );
        await waitFor(
          `all ${total} emails received`,
          async () => received.length >= total,
          (SECONDS * 2 + 60) * 1_000,
        ).catch(async (error) => {
          const states = await t.query(
            `SELECT state, count(*)::int, max(attempts) FROM herald.deliveries GROUP BY state`,
          );
          const errors = await t.query(`SELECT error FROM herald.attempt_log ORDER BY id DESC LIMIT 3`);
          throw new Error(
            `${JSON.stringify(states)} ${JSON.stringify(errors)} ` +
              `${error.message}: ${received.length} received; worker output: ${workers.map((w) => w.output().slice(-2000)).join('\n---\n')}`,
          );
        });
      } finally {
        await Promise.all(workers.map((w) => w.stop()));
      }
      try {
        const times = received.map((r) => r.at);
        const most = busiestSecond(times);
        // When each send started, as the worker recorded it (the attempt's start).
        const started = (
          await t.query<{ ms: number }>(
            `SELECT extract(epoch FROM success_started_at)::float8 * 1000 AS ms FROM herald.deliveries WHERE subscription = 'email'`,
          )
        ).map((r) => r.ms);
        const mostStarted = busiestSecond(started);
        const spanS = (Math.max(...times) - Math.min(...times)) / 1_000;
        const startedSpanS = (Math.max(...started) - Math.min(...started)) / 1_000;
        const [state] = await t.query<{ succeeded: number; attempts: number }>(
          `SELECT count(*) FILTER (WHERE state = 'succeeded')::int AS succeeded, sum(attempts)::int AS attempts
         FROM herald.deliveries WHERE subscription = 'email'`,
        );
        console.log(
          `${total} emails by 2 workers at ${RATE}/s: busiest second ${most} received, ${mostStarted} started, ${(total / spanS).toFixed(1)}/s over ${spanS.toFixed(1)} s`,
        );
        expect(mostStarted).toBeLessThanOrEqual(STARTED_BOUND);
        expect(most).toBeLessThan(2 * RATE);
        // Over the whole run, no faster than the rate: n sends take n − 1 slots, each started up to
        // the tolerance after its slot (one slot of slack at the start).
        expect(total - 1).toBeLessThanOrEqual(RATE * (startedSpanS + SEND_SLOT_TOLERANCE_MS / 1_000) + 1);
        // Each exactly once: as many accepted as published, each recipient once, one attempt each.
        expect(new Set(received.map((r) => r.to)).size).toBe(total);
        expect(received).toHaveLength(total);
        expect(state).toEqual({ succeeded: total, attempts: total });
        // Both processes sent (the limit is shared, not per process).
        const [byWorker] = await t.query<{ n: number }>(
          `SELECT count(DISTINCT success_worker)::int AS n FROM herald.deliveries WHERE subscription = 'email'`,
        );
        expect(byWorker!.n).toBe(2);
      } finally {
        await t.drop();
      }
    },
    (SECONDS * 2 + 120) * 1_000,
  );

  it('a worker whose event loop stalls gives late deliveries back instead of bunching them', async () => {
    const subscribe = subscriptionsFor(testChannels);
    const { publishMany } = createPublisher(testChannels);
    const starts: number[] = [];
    const worker = inProcessWorker(t, [
      subscribe({
        name: 'stalled',
        channel: 'test.other',
        concurrency: 20,
        ratePerSecond: RATE,
        handler: async () => {
          starts.push(Date.now());
        },
      }),
    ]);
    const n = RATE * 4;
    await worker.start();
    try {
      await publishMany(
        t.db,
        Array.from({ length: n }, (_, i) => ({ channel: 'test.other' as const, payload: { n: i } })),
      );
      await waitFor('the first sends', async () => starts.length > 10);
      // Block the event loop for 400 ms, twice: every slot that passes meanwhile is missed.
      for (let k = 0; k < 2; k++) {
        const until = Date.now() + 400;
        while (Date.now() < until);
        await new Promise((r) => setTimeout(r, 600));
      }
      await waitFor(`all ${n} sent`, async () => starts.length >= n, 30_000);
    } finally {
      await worker.stop();
    }
    expect(worker.missedSendSlots).toBeGreaterThan(0);
    expect(busiestSecond(starts)).toBeLessThanOrEqual(
      Math.floor(RATE * (1 + SEND_SLOT_TOLERANCE_MS / 1_000)) + 1,
    );
    const [state] = await t.query<{ succeeded: number; spent: number }>(
      `SELECT count(*) FILTER (WHERE state = 'succeeded')::int AS succeeded,
              max(attempts - attempts_before_replay)::int AS spent
       FROM herald.deliveries WHERE subscription = 'stalled'`,
    );
    // Given back without spending an attempt, and each sent once.
    expect(state).toEqual({ succeeded: n, spent: 1 });
    expect(starts).toHaveLength(n);
  }, 60_000);
});
