import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receivePostmarkWebhook } from '../lib/email/webhook-request';
import { type RunningSandbox, startSandbox } from '../lib/sandbox/server';
import {
  endSandboxMaintenance,
  getSandboxControls,
  markAddressInactive,
  startSandboxMaintenance,
  updateSandboxControls,
} from '../lib/sandbox/settings';
import { createTestDatabase, type TestDatabase, waitFor } from './helpers/db';

const TOKEN = 'sandbox-token';
const credentials = { user: 'postmark', password: 'sandbox-hook-pw' };
let t: TestDatabase;
let sandbox: RunningSandbox;
let receiver: http.Server;

beforeAll(async () => {
  t = await createTestDatabase();
  // Herald's webhook endpoint, served from the library function the route handler calls.
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
  await updateSandboxControls(t.db, { webhookDelayMs: 20 }, 'test');
});
afterAll(async () => {
  await sandbox?.close();
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
  await t?.drop();
});

async function call(path: string, body: unknown, token: string | null = TOKEN) {
  const res = await fetch(`${sandbox.url}${path}`, {
    method: 'POST',
    headers: {
      Accept: 'application/json',
      'Content-Type': 'application/json',
      ...(token === null ? {} : { 'X-Postmark-Server-Token': token }),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

const message = (to: string, extra: Record<string, unknown> = {}) => ({
  From: 'Shop <shop@example.com>',
  To: to,
  Subject: 'Your order',
  TextBody: 'Thanks',
  MessageStream: 'outbound',
  ...extra,
});

describe('the Postmark sandbox', () => {
  it('refuses a missing or wrong server token like Postmark', async () => {
    for (const token of [null, 'wrong']) {
      const res = await call('/email', message('a@example.com'), token);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ ErrorCode: 10, Message: 'Request does not contain a valid Server token.' });
    }
  });

  it('accepts an email, answers like Postmark, stores it and posts a Delivery webhook', async () => {
    const res = await call(
      '/email',
      message('Ada <ada@example.com>', { Tag: 'welcome', HtmlBody: '<p>Thanks</p>' }),
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      To: 'Ada <ada@example.com>',
      SubmittedAt: expect.any(String),
      MessageID: expect.stringMatching(/^[0-9a-f-]{36}$/),
      ErrorCode: 0,
      Message: 'OK',
    });
    const [row] = await t.query('SELECT * FROM herald.sandbox_messages WHERE message_id = $1', [
      res.body.MessageID,
    ]);
    expect(row).toMatchObject({
      status: 'accepted',
      endpoint: 'email',
      to_address: 'Ada <ada@example.com>',
      subject: 'Your order',
      text_body: 'Thanks',
      html_body: '<p>Thanks</p>',
      tag: 'welcome',
    });
    const [event] = await waitFor('the Delivery webhook', async () => {
      const rows = await t.query(
        'SELECT record_type, recipient FROM herald.email_events WHERE message_id = $1',
        [res.body.MessageID],
      );
      return rows.length > 0 ? rows : undefined;
    });
    expect(event).toEqual({ record_type: 'Delivery', recipient: 'ada@example.com' });
    await waitFor('the webhook outcome on the message', async () => {
      const [m] = await t.query<{ webhook_posted_at: Date | null }>(
        'SELECT webhook_posted_at FROM herald.sandbox_messages WHERE message_id = $1',
        [res.body.MessageID],
      );
      return m?.webhook_posted_at ?? undefined;
    });
  });

  it('answers invalid requests with 422 and Postmark ErrorCodes', async () => {
    expect((await call('/email', message('not-an-address'))).body).toMatchObject({ ErrorCode: 300 });
    expect((await call('/email', message('a@example.com', { From: '' }))).body).toMatchObject({
      ErrorCode: 300,
    });
    const noBody = await call('/email', message('a@example.com', { TextBody: undefined }));
    expect(noBody).toMatchObject({
      status: 422,
      body: { ErrorCode: 300, Message: 'Provide either email TextBody or HtmlBody or both.' },
    });
    expect(await call('/email', '{oops')).toMatchObject({ status: 422, body: { ErrorCode: 402 } });
    const [rejected] = await t.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM herald.sandbox_messages WHERE status = 'rejected' AND error_code = 300",
    );
    expect(rejected!.n).toBe(3);
  });

  it('refuses inactive addresses with ErrorCode 406', async () => {
    await markAddressInactive(t.db, 'Gone@Example.com');
    const res = await call('/email', message('gone@example.com'));
    expect(res.status).toBe(422);
    expect(res.body.ErrorCode).toBe(406);
    expect(res.body.Message).toContain('Found inactive addresses: gone@example.com.');
  });

  it('answers a batch message by message, and template sends', async () => {
    await markAddressInactive(t.db, 'batch-gone@example.com');
    const res = await call('/email/batch', [
      message('b1@example.com'),
      message('bad address'),
      message('b3@example.com'),
      message('batch-gone@example.com'),
    ]);
    expect(res.status).toBe(200);
    const answers = res.body as unknown as { ErrorCode: number; Message: string }[];
    expect(answers.map((a) => a.ErrorCode)).toEqual([0, 300, 0, 406]);
    // Each message answered as the single-send endpoint answers it (the same function decides).
    for (const [i, to] of [
      [1, 'bad address'],
      [3, 'batch-gone@example.com'],
    ] as const) {
      const single = await call('/email', message(to));
      expect(single.status).toBe(422);
      expect(answers[i]).toEqual(single.body);
    }
    const tpl = await call('/email/withTemplate', {
      From: 'shop@example.com',
      To: 'c@example.com',
      TemplateAlias: 'order-confirmation',
      TemplateModel: { orderId: '7' },
    });
    expect(tpl).toMatchObject({ status: 200, body: { ErrorCode: 0, To: 'c@example.com' } });
    expect(
      (await call('/email/withTemplate', { From: 'shop@example.com', To: 'c@example.com' })).body,
    ).toMatchObject({
      ErrorCode: 1101,
    });
  });

  it('bounces Postmark test addresses: a Bounce webhook, then the address is inactive', async () => {
    const res = await call('/email', message('hardbounce@bounce-testing.postmarkapp.com'));
    expect(res.status).toBe(200);
    await waitFor('the Bounce webhook', async () => {
      const rows = await t.query(
        "SELECT 1 FROM herald.email_events WHERE message_id = $1 AND record_type = 'Bounce'",
        [res.body.MessageID],
      );
      return rows.length > 0;
    });
    await waitFor('the address to become inactive', async () => {
      const again = await call('/email', message('hardbounce@bounce-testing.postmarkapp.com'));
      return again.body.ErrorCode === 406;
    });
  });

  it('goes into maintenance (503, ErrorCode 100, Retry-After) and out again', async () => {
    await updateSandboxControls(t.db, { retryAfterSeconds: 7 }, 'test');
    await startSandboxMaintenance(t.db, { actor: 'test' });
    expect((await getSandboxControls(t.db)).inMaintenance).toBe(true);
    const down = await call('/email', message('m@example.com'));
    expect(down.status).toBe(503);
    expect(down.body.ErrorCode).toBe(100);
    expect(down.headers.get('retry-after')).toBe('7');
    await endSandboxMaintenance(t.db, 'test');
    expect((await call('/email', message('m@example.com'))).status).toBe(200);
    // A window that has not started yet does not refuse anything.
    await startSandboxMaintenance(t.db, { startsInMs: 60_000, durationMs: 1_000, actor: 'test' });
    expect((await call('/email', message('m@example.com'))).status).toBe(200);
    await endSandboxMaintenance(t.db, 'test');
  });

  it('fails at the configured rate and adds latency', async () => {
    await updateSandboxControls(t.db, { failureRate: 1 }, 'test');
    expect((await call('/email', message('f@example.com'))).status).toBe(500);
    await updateSandboxControls(t.db, { failureRate: 0, latencyMs: 300 }, 'test');
    const started = Date.now();
    expect((await call('/email', message('f@example.com'))).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    await updateSandboxControls(t.db, { latencyMs: 0 }, 'test');
    await expect(updateSandboxControls(t.db, { failureRate: 2 }, 'test')).rejects.toThrow();
  });

  it('serves its controls over a small admin API', async () => {
    const res = await fetch(`${sandbox.url}/admin/settings`, {
      method: 'PATCH',
      headers: { 'X-Postmark-Server-Token': TOKEN, 'Content-Type': 'application/json' },
      body: JSON.stringify({ latencyMs: 5 }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      latencyMs: 5,
      updatedBy: 'sandbox-admin-api',
      inMaintenance: false,
    });
    await updateSandboxControls(t.db, { latencyMs: 0 }, 'test');
  });
});
