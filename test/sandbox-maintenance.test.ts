import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channels } from '../lib/channels';
import { createPostmarkSender } from '../lib/email/postmark';
import { emailSubscriptions } from '../lib/email/subscriptions';
import { receivePostmarkWebhook } from '../lib/email/webhook-request';
import { publishMany } from '../lib/publish';
import { type RunningSandbox, startSandbox } from '../lib/sandbox/server';
import { startSandboxMaintenance, updateSandboxControls } from '../lib/sandbox/settings';
import { Worker } from '../worker/worker';
import { createTestDatabase, type TestDatabase, waitFor } from './helpers/db';

/**
 * The story Herald began from: Postmark down for maintenance while orders keep coming.
 * The issue asks for a 30 s window; `npm test` uses 5 s to spare shared CI cores. Run the full
 * one with: SANDBOX_MAINTENANCE_MS=30000 npx vitest run test/sandbox-maintenance.test.ts
 * Since issue #21 the subscription's circuit breaker opens after a few refusals: the rest of the
 * window the emails are held (no attempts spent, one probe at a time), then sent once each.
 * The long version of this story (24 h, scaled) is test/circuit-long-outage.test.ts.
 */
const WINDOW_MS = Number(process.env.SANDBOX_MAINTENANCE_MS ?? 5_000);
const ORDERS = 200;
const TOKEN = 'sandbox-token';
const credentials = { user: 'postmark', password: 'sandbox-hook-pw' };

let t: TestDatabase;
let sandbox: RunningSandbox;
let receiver: http.Server;
let worker: Worker;

beforeAll(async () => {
  t = await createTestDatabase();
  receiver = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const request = new Request(`http://127.0.0.1${req.url}`, {
      method: 'POST',
      headers: req.headers as Record<string, string>,
      body: Buffer.concat(chunks),
    });
    const answer = await receivePostmarkWebhook(t.db, request, credentials);
    res.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(answer.body));
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const port = (receiver.address() as AddressInfo).port;
  sandbox = await startSandbox({
    port: 0,
    databaseUrl: t.url,
    webhookUrl: `http://${credentials.user}:${credentials.password}@127.0.0.1:${port}/api/v1/webhooks/postmark`,
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
      // Short delays for the test; the budget outlasts the window many times over.
      retry: { maxAttempts: 200, baseDelayMs: 250, maxDelayMs: 2_000 },
      concurrency: 20,
    }),
    log: pino({ level: 'silent' }),
    pollIntervalMs: 100,
  });
});
afterAll(async () => {
  await worker?.stop();
  await sandbox?.close();
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
  await t?.drop();
});

describe('Postmark down for maintenance while orders are approved', () => {
  it(
    'retries through the window, then delivers every order email exactly once',
    async () => {
      // Retry-After: 1 s — the worker must honour it rather than its own shorter backoff.
      await updateSandboxControls(t.db, { retryAfterSeconds: 1, webhookDelayMs: 50 }, 'test');
      await startSandboxMaintenance(t.db, { durationMs: WINDOW_MS, actor: 'test' });
      const [{ ends }] = (await t.query<{ ends: Date }>(
        'SELECT maintenance_ends_at AS ends FROM herald.sandbox_settings',
      )) as [{ ends: Date }];
      await worker.start();
      await publishMany(
        t.db,
        Array.from({ length: ORDERS }, (_, i) => ({
          channel: 'order.approved' as const,
          payload: {
            orderId: `order-${i}`,
            customer: { email: `customer${i}@example.com`, name: `Customer ${i}` },
            total: 10 + i,
            items: [{ name: 'Tea', quantity: 1, price: 10 + i }],
          },
          options: { key: `order:order-${i}` },
        })),
      );

      await waitFor(
        `all ${ORDERS} deliveries to succeed`,
        async () => {
          const [row] = await t.query<{ done: number; dead: number }>(
            `SELECT count(*) FILTER (WHERE state = 'succeeded')::int AS done,
                    count(*) FILTER (WHERE state = 'dead')::int AS dead
             FROM herald.deliveries WHERE subscription = 'order-confirmation-email'`,
          );
          if (row!.dead > 0) throw new Error(`${row!.dead} deliveries are dead`);
          return row!.done === ORDERS;
        },
        WINDOW_MS + 60_000,
      );

      // Every delivery first tried well inside the window was retried. A handler that starts
      // in the window's last seconds may reach the sandbox only after it ends on a loaded
      // machine (its request waits for a connection), so those are left out by a margin.
      const [summary] = await t.query<{ dead: number; inWindow: number; retried: number; once: number }>(
        `
        WITH d AS (
          SELECT d.id, d.state, d.attempts,
                 (SELECT min(a.started_at) FROM herald.attempts a WHERE a.delivery_id = d.id) AS first_try,
                 (SELECT count(*) FROM herald.attempts a
                  WHERE a.delivery_id = d.id AND a.outcome = 'succeeded') AS successes
          FROM herald.deliveries d WHERE d.subscription = 'order-confirmation-email')
        SELECT count(*) FILTER (WHERE state = 'dead')::int AS dead,
               count(*) FILTER (WHERE first_try < $1::timestamptz - interval '3 seconds')::int AS "inWindow",
               count(*) FILTER (WHERE first_try < $1::timestamptz - interval '3 seconds' AND attempts > 1)::int AS retried,
               count(*) FILTER (WHERE successes = 1)::int AS once
        FROM d`,
        [ends],
      );
      expect(summary).toMatchObject({ dead: 0, once: ORDERS, retried: summary!.inWindow });
      // Tried in the window: what the worker held when the circuit opened (running and claimed
      // ahead, 2 × concurrency 20), and the probes; the rest waited without being tried.
      const [circuit] = await t.query<{ probes: number; outages: number }>(
        `SELECT probes, outages FROM herald.circuits WHERE subscription = 'order-confirmation-email'`,
      );
      expect(circuit!.outages).toBe(1);
      expect(summary!.inWindow).toBeGreaterThanOrEqual(1);
      expect(summary!.inWindow).toBeLessThanOrEqual(2 * 20 + circuit!.probes);

      // The sandbox accepted exactly one email per order, and only after the window.
      const [outbox] = await t.query<{ accepted: number; orders: number; early: number; refused: number }>(
        `
        SELECT count(*) FILTER (WHERE status = 'accepted')::int AS accepted,
               count(DISTINCT subject) FILTER (WHERE status = 'accepted')::int AS orders,
               count(*) FILTER (WHERE status = 'accepted' AND received_at < $1)::int AS early,
               count(*) FILTER (WHERE status = 'rejected' AND error_code = 100)::int AS refused
        FROM herald.sandbox_messages`,
        [ends],
      );
      expect(outbox).toMatchObject({ accepted: ORDERS, orders: ORDERS, early: 0 });
      expect(outbox!.refused).toBeGreaterThanOrEqual(summary!.inWindow);

      // The attempt history shows the refusals: Postmark's ErrorCode 100; Retry-After honoured
      // for those retried before the circuit opened, no next run for those it held.
      const failed = await t.query<{
        error_code: string;
        result: { errorCode: number };
        wait_ms: number | null;
      }>(`
        SELECT a.error_code, a.result,
               (extract(epoch FROM a.next_run_at - a.finished_at) * 1000)::float8 AS wait_ms
        FROM herald.attempts a JOIN herald.deliveries d ON d.id = a.delivery_id
        WHERE d.subscription = 'order-confirmation-email' AND a.outcome = 'failed'`);
      expect(failed.length).toBeGreaterThanOrEqual(summary!.inWindow);
      for (const f of failed) {
        expect(f.error_code).toBe('postmark_100');
        expect(f.result.errorCode).toBe(100);
        if (f.wait_ms !== null) expect(f.wait_ms).toBeGreaterThanOrEqual(900);
      }
      // Held, not failed: a run of refusals spends at most failures − 1 (4) attempts before the
      // circuit opens; the held ones and the probes spend none.
      expect(failed.filter((f) => f.wait_ms !== null).length).toBeLessThanOrEqual(4);
      expect(failed.filter((f) => f.wait_ms === null).length).toBeGreaterThanOrEqual(1);

      // Each successful attempt's MessageID gets its Delivery webhook, linked to it.
      await waitFor(
        'a linked Delivery record for every order email',
        async () => {
          const [row] = await t.query<{ n: number }>(`
            SELECT count(DISTINCT e.attempt_id)::int AS n
            FROM herald.email_events e JOIN herald.attempts a ON a.id = e.attempt_id
            WHERE e.record_type = 'Delivery' AND a.outcome = 'succeeded'
              AND e.message_id = a.result->>'messageId'`);
          return row!.n === ORDERS;
        },
        30_000,
      );
    },
    WINDOW_MS + 120_000,
  );
});
