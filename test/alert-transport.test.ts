import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertMessage } from '../lib/alerts/message';
import { retryDelayMs } from '../lib/alerts/sender';
import { send, TransportError } from '../lib/alerts/transport';

/**
 * How each destination kind is sent, against local servers: email through the Postmark client
 * (the same path as customer email) to a Postmark-compatible stand-in, which also plays a
 * Postmark in maintenance; a webhook that never answers fails after the timeout, not later.
 */
const requests: { path: string; token: string | undefined; body: Record<string, unknown> }[] = [];
let maintenance = false;
const postmark = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    if (req.url === '/hang') return; // never answers
    requests.push({
      path: req.url ?? '',
      token: req.headers['x-postmark-server-token'] as string,
      body: JSON.parse(body),
    });
    res.setHeader('content-type', 'application/json');
    if (maintenance) {
      res.statusCode = 503;
      res.end(JSON.stringify({ ErrorCode: 100, Message: 'Maintenance' }));
      return;
    }
    res.end(
      JSON.stringify({
        To: 'x',
        SubmittedAt: new Date().toISOString(),
        MessageID: 'm-1',
        ErrorCode: 0,
        Message: 'OK',
      }),
    );
  });
});
let base = '';

beforeAll(async () => {
  await new Promise<void>((r) => postmark.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(postmark.address() as AddressInfo).port}`;
});
afterAll(async () => {
  postmark.closeAllConnections();
  await new Promise((r) => postmark.close(r));
});

const message = alertMessage(
  'firing',
  {
    id: 7,
    kind: 'circuit_open',
    subscription: 'order-confirmation-email',
    summary: 'the provider is down (Postmark: maintenance): 1,240 deliveries held, 9 probes so far',
    since: new Date('2026-12-03T02:10:00Z'),
    startedAt: new Date('2026-12-03T02:10:05Z'),
    resolvedAt: null,
  },
  'https://herald.example',
  new Date('2026-12-03T02:40:00Z'),
);
const options = (timeoutMs = 2_000) => ({
  timeoutMs,
  email: () => ({
    sandbox: false,
    serverToken: 'token-1',
    apiUrl: base,
    messageStream: 'outbound',
    from: 'alerts@herald.example',
  }),
});
const email = {
  id: 1,
  name: 'team',
  kind: 'email' as const,
  url: null,
  secret: null,
  emails: ['a@example.com', 'b@example.com'],
};

describe('alert transports', () => {
  it('every message says what, since when, how bad, and links to the filtered view', () => {
    expect(message.text).toBe(
      '[CRITICAL] Provider circuit open: order-confirmation-email — the provider is down (Postmark: maintenance): 1,240 deliveries held, 9 probes so far, since 2026-12-03T02:10:00.000Z (30 min)',
    );
    expect(message.link).toBe('https://herald.example/subscriptions#order-confirmation-email');
  });

  it('email goes through the Postmark client to every address, with the link', async () => {
    await send(email, message, 1, options());
    const [r] = requests;
    expect(r?.path).toBe('/email');
    expect(r?.token).toBe('token-1');
    expect(r?.body).toMatchObject({
      To: 'a@example.com, b@example.com',
      From: 'alerts@herald.example',
      Tag: 'herald-alert',
    });
    expect(String(r?.body.TextBody)).toContain(
      'Open in Herald: https://herald.example/subscriptions#order-confirmation-email',
    );
  });

  it('a Postmark outage fails the email destination (the others report it)', async () => {
    maintenance = true;
    await expect(send(email, message, 2, options())).rejects.toThrow(TransportError);
    maintenance = false;
  });

  it('a destination that never answers fails after the timeout', async () => {
    const started = Date.now();
    const hook = {
      id: 2,
      name: 'h',
      kind: 'webhook' as const,
      url: `${base}/hang`,
      secret: 'x'.repeat(16),
      emails: null,
    };
    await expect(send(hook, message, 3, options(500))).rejects.toThrow('no answer within 500 ms');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('retries back off from 5 s, doubling to 5 min', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 7, 8, 20].map((n) => retryDelayMs(n, mid))).toEqual([
      5_000, 10_000, 20_000, 300_000, 300_000, 300_000,
    ]);
  });
});
