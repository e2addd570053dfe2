import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertRunner } from '../lib/alerts/runner';
import { verifySignature } from '../lib/alerts/signing';
import { createPublisher } from '../lib/publish';
import { subscriptionsFor } from '../lib/subscriptions/define';
import { ProviderUnavailableError } from '../lib/subscriptions/errors';
import { Maintenance } from '../worker/maintenance';
import type { Worker } from '../worker/worker';
import { testChannels } from './fixtures/channels';
import { createTestDatabase, type TestDatabase, waitFor } from './helpers/db';
import { inProcessWorker } from './helpers/in-process-worker';

/**
 * Alerts reach people, end to end (issue #21 acceptance): a real worker, the real rollups and the
 * alert runner of worker/maintenance.ts, on the test database; a Slack-compatible receiver and a
 * webhook receiver are HTTP servers on 127.0.0.1. Two more destinations are dead — one accepts
 * connections and never answers, one refuses them — and are created first, so a sender that
 * sent in order would be held up by them. Short thresholds: a stall after 2 s, a circuit after 2
 * provider failures; the alert request timeout is 4 s.
 *
 * - A stall: the handler hangs (the worker stays alive and heartbeats); Slack and the webhook
 *   get "firing" within 60 s, sooner than the hanging destination's timeout after the alert
 *   started; releasing the handler finishes the deliveries and they get "resolved".
 * - A circuit: the provider answers "unavailable" until it is back; "firing" then "resolved".
 * - Every webhook message carries a signature that verifies (HMAC-SHA256 computed here
 *   independently of lib/alerts/signing.ts), and one with a changed body does not.
 */
const subscribe = subscriptionsFor(testChannels);
const { publishMany } = createPublisher(testChannels);
const SECRET = 'alert-webhook-secret-for-tests';
const TIMEOUT_MS = 4_000;

interface Received {
  at: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  json: { text?: string; event?: string; kind?: string; subscription?: string };
}

function receiver(answer = true) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      received.push({ at: Date.now(), body, headers: req.headers, json: JSON.parse(body || '{}') });
      if (answer) res.end('ok');
      // else: never answer, like a destination whose load balancer hangs.
    });
  });
  return {
    received,
    server,
    async listen() {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    },
  };
}

let release: () => void = () => {};
const hanging = new Promise<void>((r) => {
  release = r;
});
let providerUp = false;

const stuck = subscribe({
  name: 'stuck',
  channel: 'test.event',
  concurrency: 1,
  timeoutMs: 120_000,
  handler: () => hanging.then(() => null),
});
const provider = subscribe({
  name: 'provider',
  channel: 'test.other',
  concurrency: 1,
  retry: { maxAttempts: 50, baseDelayMs: 100, maxDelayMs: 200 },
  circuit: { failures: 2, windowMs: 60_000, probeMs: 300, probeMaxMs: 600, releasePerSecond: 50 },
  handler: async () => {
    if (!providerUp)
      throw new ProviderUnavailableError('Postmark: maintenance (ErrorCode 100)', { code: 'postmark_100' });
    return null;
  },
});

let t: TestDatabase;
let worker: Worker | undefined;
let maintenance: Maintenance | undefined;
const slack = receiver();
const hook = receiver();
const hang = receiver(false);

beforeAll(async () => {
  t = await createTestDatabase();
  const refused = http.createServer();
  await new Promise<void>((r) => refused.listen(0, '127.0.0.1', r));
  const refusedUrl = `http://127.0.0.1:${(refused.address() as AddressInfo).port}/`;
  await new Promise<void>((r) => refused.close(() => r()));
  const hangUrl = await hang.listen();
  const slackUrl = await slack.listen();
  const hookUrl = await hook.listen();
  // The dead destinations first: an in-order sender would try them before the live ones.
  await t.query(
    `INSERT INTO herald.alert_destinations (name, kind, url) VALUES ('hangs', 'webhook', $1), ('refuses', 'slack', $2)`,
    [hangUrl, refusedUrl],
  );
  await t.query(
    `INSERT INTO herald.alert_destinations (name, kind, url, secret) VALUES ('slack', 'slack', $1, NULL), ('hook', 'webhook', $2, $3)`,
    [slackUrl, hookUrl, SECRET],
  );
  // Short thresholds for the two rules under test; the others are switched off so that only
  // these speak (their own tests are test/alert-rules.test.ts).
  await t.query(
    `INSERT INTO herald.alert_rules (kind, subscription, enabled, threshold, window_seconds, min_count, repeat_seconds)
     SELECT k, '', k IN ('stall', 'circuit_open'), 0, CASE k WHEN 'stall' THEN 2 ELSE 0 END, 0, 3600
     FROM unnest(ARRAY['stall','oldest_due','failure_rate','dead_growth','no_heartbeat','circuit_open']) AS k`,
  );
  const log = pino({ level: process.env.TEST_WORKER_LOG_LEVEL ?? 'silent' });
  worker = inProcessWorker(t, [stuck, provider], { pollIntervalMs: 100 });
  await worker.start();
  maintenance = new Maintenance({
    pool: t.pool,
    log,
    retentionDays: 14,
    deadRetentionDays: 90,
    pruneIntervalMs: 3_600_000,
    rollupIntervalMs: 1_000,
    alerts: new AlertRunner({
      pool: t.pool,
      log,
      intervalMs: 500,
      timeoutMs: TIMEOUT_MS,
      publicUrl: 'https://herald.example',
      envDestinations: [],
      email: () => {
        throw new Error('no email destination in this test');
      },
      sendIntervalMs: 100,
    }),
  });
  maintenance.start();
}, 60_000);

afterAll(async () => {
  release();
  await maintenance?.stop();
  await worker?.stop();
  for (const s of [slack, hook, hang]) s.server.closeAllConnections();
  await Promise.all([slack, hook, hang].map((s) => new Promise((r) => s.server.close(r))));
  await t?.drop();
});

const about = (r: Received[], kind: string, event: string) =>
  r.filter(
    (m) => (m.json.text ?? '').includes(kind) && (m.json.event === undefined || m.json.event === event),
  );
const slackSays = (title: string, label: string) =>
  slack.received.filter((m) => (m.json.text ?? '').includes(`[${label}] ${title}`));
const hookSays = (kind: string, event: string) =>
  hook.received.filter((m) => m.json.kind === kind && m.json.event === event);

function independentlyVerified(m: Received): boolean {
  const id = String(m.headers['webhook-id']);
  const ts = String(m.headers['webhook-timestamp']);
  const expected = `v1,${createHmac('sha256', SECRET).update(`${id}.${ts}.${m.body}`).digest('base64')}`;
  return m.headers['webhook-signature'] === expected;
}

describe('alerts reach Slack and a webhook', () => {
  it('a stall: firing within 60 s, not held up by dead destinations; resolved once deliveries finish', async () => {
    const stalledAt = Date.now();
    await publishMany(
      t.db,
      [1, 2, 3].map((n) => ({ channel: 'test.event' as const, payload: { n, mode: 'ok' as const } })),
    );
    const firing = await waitFor(
      'the stall to reach Slack and the webhook',
      async () => {
        const s = slackSays('Deliveries stalled', 'CRITICAL');
        const h = hookSays('stall', 'firing');
        return s.length > 0 && h.length > 0 ? { s: s[0] as Received, h: h[0] as Received } : undefined;
      },
      60_000,
    );
    expect(firing.s.at - stalledAt).toBeLessThan(60_000);
    expect(firing.s.json.text).toContain('stuck — 3 deliveries due or claimed, none finished');
    expect(firing.s.json.text).toContain(
      '<https://herald.example/events?subscription=stuck&state=pending|Open in Herald>',
    );
    expect(firing.h.json).toMatchObject({
      event: 'firing',
      kind: 'stall',
      severity: 'critical',
      subscription: 'stuck',
      link: 'https://herald.example/events?subscription=stuck&state=pending',
    });

    // The dead destinations were tried (the hanging one holds a request open), yet the live
    // ones heard within half a request timeout of the alert starting: a sender that waited for
    // the hanging destination first would take the whole timeout (checked: 4.1 s, failing here).
    const [alert] = await t.query<{ started: number }>(
      `SELECT (extract(epoch FROM started_at) * 1000)::float8 AS started FROM herald.alerts WHERE kind = 'stall'`,
    );
    await waitFor('the hanging destination to be tried', async () => hang.received.length > 0, 10_000);
    expect(firing.s.at - (alert?.started ?? 0)).toBeLessThan(TIMEOUT_MS / 2);
    expect(firing.h.at - (alert?.started ?? 0)).toBeLessThan(TIMEOUT_MS / 2);

    // The webhook's signature verifies; a changed body does not.
    expect(independentlyVerified(firing.h)).toBe(true);
    const headers = {
      id: String(firing.h.headers['webhook-id']),
      timestamp: String(firing.h.headers['webhook-timestamp']),
      signature: String(firing.h.headers['webhook-signature']),
    };
    expect(verifySignature(SECRET, headers, firing.h.body)).toBe(true);
    expect(verifySignature(SECRET, headers, firing.h.body.replace('stuck', 'other'))).toBe(false);

    release();
    await waitFor(
      'the stall to resolve at Slack and the webhook',
      async () =>
        slackSays('Deliveries stalled', 'RESOLVED').length > 0 && hookSays('stall', 'resolved').length > 0,
      60_000,
    );
    expect(slackSays('Deliveries stalled', 'CRITICAL')).toHaveLength(1);
    const failed = await t.query<{ name: string; attempts: number; last_error: string }>(
      `SELECT d.name, m.attempts, m.last_error FROM herald.alert_messages m JOIN herald.alert_destinations d ON d.id = m.destination_id
       WHERE d.name = 'refuses' AND m.attempts > 0`,
    );
    expect(failed[0]?.last_error).toMatch(/ECONNREFUSED|fetch failed/);
  }, 120_000);

  it('a circuit opening: firing within 60 s, resolved when the provider is back', async () => {
    const openedAt = Date.now();
    await publishMany(
      t.db,
      [1, 2, 3, 4].map((n) => ({ channel: 'test.other' as const, payload: { n } })),
    );
    const firing = await waitFor(
      'the open circuit to reach Slack and the webhook',
      async () => {
        const s = slackSays('Provider circuit open', 'CRITICAL');
        return s.length > 0 && hookSays('circuit_open', 'firing').length > 0 ? (s[0] as Received) : undefined;
      },
      60_000,
    );
    expect(firing.at - openedAt).toBeLessThan(60_000);
    expect(firing.json.text).toContain(
      'provider — the provider is down (Postmark: maintenance (ErrorCode 100))',
    );
    expect(independentlyVerified(hookSays('circuit_open', 'firing')[0] as Received)).toBe(true);

    providerUp = true;
    await waitFor(
      'the circuit alert to resolve',
      async () =>
        slackSays('Provider circuit open', 'RESOLVED').length > 0 &&
        hookSays('circuit_open', 'resolved').length > 0,
      60_000,
    );
    expect(about(slack.received, 'Provider circuit open', 'firing').length).toBeGreaterThan(0);
  }, 120_000);
});
