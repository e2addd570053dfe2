import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { channels } from '../lib/channels';
import { renderOrderConfirmation } from '../lib/email/order-confirmation';
import { createPostmarkSender, type EmailSender } from '../lib/email/postmark';
import { parseRetryAfter } from '../lib/email/retry-after';
import { emailSubscriptions } from '../lib/email/subscriptions';
import { createPublisher, publish } from '../lib/publish';
import { PermanentError, ProviderUnavailableError, RetryableError } from '../lib/subscriptions/errors';
import { Worker } from '../worker/worker';
import { createTestDatabase, type TestDatabase, waitFor } from './helpers/db';

/** A Postmark stand-in: records every request and answers what the current test says. */
interface Seen {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}
type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | 'hang';
let seen: Seen[] = [];
let reply: (req: Seen) => Reply;
let replyBatch: (req: Seen) => Reply | undefined;
let standIn: http.Server;
let apiUrl: string;
const TOKEN = 'server-token-123';

function sender(url = apiUrl): EmailSender {
  return createPostmarkSender({
    apiUrl: url,
    serverToken: TOKEN,
    from: 'Shop <shop@example.com>',
    messageStream: 'outbound',
  });
}
const ok = (to: string) => ({
  status: 200,
  body: {
    To: to,
    SubmittedAt: '2026-05-01T10:00:00.1234567-04:00',
    MessageID: crypto.randomUUID(),
    ErrorCode: 0,
    Message: 'OK',
  },
});

beforeAll(async () => {
  standIn = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const entry: Seen = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null'),
    };
    seen.push(entry);
    // The batch endpoint: a whole-request answer when the test gives one, else HTTP 200 with
    // each message answered as the single endpoint would (its body, whatever its status).
    const r =
      entry.path.endsWith('/email/batch') && Array.isArray(entry.body)
        ? (replyBatch(entry) ?? {
            status: 200,
            body: entry.body.map((message) => {
              const one = reply({ ...entry, body: message });
              return one === 'hang' ? {} : one.body;
            }),
          })
        : reply(entry);
    if (r === 'hang') return; // never answers: the caller's timeout must end it
    res.writeHead(r.status, { 'Content-Type': 'application/json', ...r.headers });
    res.end(r.body === undefined ? '' : JSON.stringify(r.body));
  });
  await new Promise<void>((resolve) => standIn.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(standIn.address() as AddressInfo).port}`;
});
afterAll(async () => {
  standIn.closeAllConnections();
  await new Promise((r) => standIn.close(r));
});
beforeEach(() => {
  seen = [];
  reply = (req) => ok(String((req.body as { To: string }).To));
  replyBatch = () => undefined;
});

async function failure(send: Promise<unknown>): Promise<Error> {
  const error = await send.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error)) throw new Error('expected the send to fail');
  return error;
}

describe('the Postmark client', () => {
  it('sends exactly the request Postmark documents and returns its evidence', async () => {
    const result = await sender().send({
      to: 'ada@example.com',
      subject: 'Hello',
      textBody: 'Hi Ada',
      htmlBody: '<p>Hi Ada</p>',
      tag: 'welcome',
      metadata: { orderId: '42' },
    });
    expect(seen).toHaveLength(1);
    const [req] = seen as [Seen];
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/email');
    expect(req.headers['x-postmark-server-token']).toBe(TOKEN);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.accept).toBe('application/json');
    expect(req.body).toEqual({
      From: 'Shop <shop@example.com>',
      To: 'ada@example.com',
      Subject: 'Hello',
      TextBody: 'Hi Ada',
      HtmlBody: '<p>Hi Ada</p>',
      Tag: 'welcome',
      Metadata: { orderId: '42' },
      MessageStream: 'outbound',
    });
    expect(result).toEqual({
      messageId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      submittedAt: '2026-05-01T10:00:00.1234567-04:00',
      to: 'ada@example.com',
    });
  });

  it('keeps a path prefix of POSTMARK_API_URL', async () => {
    await sender(`${apiUrl}/postmark/`).send({ to: 'a@example.com', subject: 's', textBody: 't' });
    expect(seen[0]?.path).toBe('/postmark/email');
  });

  it('makes ErrorCode 300 (invalid email request) permanent, with the reason in words', async () => {
    reply = () => ({ status: 422, body: { ErrorCode: 300, Message: "Invalid 'To' address: 'nope'." } });
    const error = await failure(sender().send({ to: 'nope', subject: 's', textBody: 't' }));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toMatch(/invalid and refused it: Invalid 'To' address/);
    expect(error).toMatchObject({
      code: 'postmark_300',
      result: { errorCode: 300, message: "Invalid 'To' address: 'nope'.", httpStatus: 422 },
    });
  });

  it('makes ErrorCode 406 (inactive recipient) permanent', async () => {
    const message =
      'You tried to send to recipient(s) that have been marked as inactive. Found inactive addresses: gone@example.com. Inactive recipients are ones that have generated a hard bounce, a spam complaint, or a manual suppression.';
    reply = () => ({ status: 422, body: { ErrorCode: 406, Message: message } });
    const error = await failure(sender().send({ to: 'gone@example.com', subject: 's', textBody: 't' }));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toMatch(/recipient is inactive at Postmark/);
    expect(error).toMatchObject({ code: 'postmark_406', result: { errorCode: 406, message } });
  });

  it('makes other 422 request errors permanent', async () => {
    reply = () => ({
      status: 422,
      body: { ErrorCode: 400, Message: 'Sender signature not defined for From address.' },
    });
    const error = await failure(sender().send({ to: 'a@example.com', subject: 's', textBody: 't' }));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ code: 'postmark_400', result: { errorCode: 400 } });
  });

  it('retries maintenance (ErrorCode 100) after Retry-After seconds', async () => {
    reply = () => ({
      status: 503,
      body: { ErrorCode: 100, Message: 'Maintenance' },
      headers: { 'Retry-After': '30' },
    });
    const error = await failure(sender().send({ to: 'a@example.com', subject: 's', textBody: 't' }));
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({
      code: 'postmark_100',
      retryAfterMs: 30_000,
      result: { errorCode: 100, message: 'Maintenance', httpStatus: 503, retryAfterMs: 30_000 },
    });
    expect(error.message).toMatch(/down for maintenance/);
  });

  it('retries maintenance answered as 422 ErrorCode 100 too', async () => {
    reply = () => ({ status: 422, body: { ErrorCode: 100, Message: 'Maintenance' } });
    const error = await failure(sender().send({ to: 'a@example.com', subject: 's', textBody: 't' }));
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as RetryableError).retryAfterMs).toBeUndefined();
  });

  it('retries 429 after a Retry-After given as an HTTP date', async () => {
    const at = new Date(Date.now() + 120_000);
    reply = () => ({
      status: 429,
      body: { ErrorCode: 0, Message: 'Too many requests' },
      headers: { 'Retry-After': at.toUTCString() },
    });
    const error = await failure(sender().send({ to: 'a@example.com', subject: 's', textBody: 't' }));
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({ code: 'http_429' });
    const wait = (error as RetryableError).retryAfterMs!;
    expect(wait).toBeGreaterThan(115_000);
    expect(wait).toBeLessThanOrEqual(120_000);
  });

  it('retries 5xx on the subscription backoff when there is no Retry-After', async () => {
    reply = () => ({ status: 500, body: { ErrorCode: 0, Message: 'Internal Server Error' } });
    const error = await failure(sender().send({ to: 'a@example.com', subject: 's', textBody: 't' }));
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({ code: 'http_500', retryAfterMs: undefined, result: { httpStatus: 500 } });
  });

  it('retries a request that times out, and cancels it', async () => {
    reply = () => 'hang';
    const signal = AbortSignal.timeout(300);
    const error = await failure(sender().send({ to: 'a@example.com', subject: 's', textBody: 't' }, signal));
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({ code: 'timeout' });
  });

  it('retries a refused connection', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const error = await failure(
      sender(`http://127.0.0.1:${port}`).send({ to: 'a@example.com', subject: 's', textBody: 't' }),
    );
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({ code: 'network_ECONNREFUSED' });
    expect(error.message).toMatch(/Could not reach Postmark \(ECONNREFUSED\)/);
  });
});

describe('the Postmark batch client', () => {
  const emails = (...to: string[]) => to.map((address) => ({ to: address, subject: 's', textBody: 't' }));

  it('sends up to 500 emails in one request to /email/batch, one answer each, in order', async () => {
    const answers = await sender().sendBatch!(emails('a@example.com', 'b@example.com'));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'POST', path: '/email/batch' });
    expect(seen[0]?.headers['x-postmark-server-token']).toBe(TOKEN);
    expect(seen[0]?.body).toEqual([
      {
        From: 'Shop <shop@example.com>',
        To: 'a@example.com',
        Subject: 's',
        TextBody: 't',
        MessageStream: 'outbound',
      },
      {
        From: 'Shop <shop@example.com>',
        To: 'b@example.com',
        Subject: 's',
        TextBody: 't',
        MessageStream: 'outbound',
      },
    ]);
    expect(answers).toEqual([
      {
        messageId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        submittedAt: expect.any(String),
        to: 'a@example.com',
      },
      {
        messageId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        submittedAt: expect.any(String),
        to: 'b@example.com',
      },
    ]);
    await expect(sender().sendBatch!(emails(...Array(501).fill('a@example.com')))).rejects.toThrow(
      /at most 500/,
    );
  });

  it("turns each message's own ErrorCode into its own outcome: 406 and 300 permanent, 0 accepted", async () => {
    reply = (req) => {
      const to = String((req.body as { To: string }).To);
      if (to === 'gone@example.com')
        return {
          status: 422,
          body: { ErrorCode: 406, Message: 'Found inactive addresses: gone@example.com.' },
        };
      if (to === 'nope')
        return { status: 422, body: { ErrorCode: 300, Message: "Invalid 'To' address: 'nope'." } };
      return ok(to);
    };
    const [accepted, inactive, invalid] = await sender().sendBatch!(
      emails('ada@example.com', 'gone@example.com', 'nope'),
    );
    expect(accepted).toMatchObject({ messageId: expect.any(String), to: 'ada@example.com' });
    expect(inactive).toBeInstanceOf(PermanentError);
    expect(inactive).toMatchObject({
      code: 'postmark_406',
      message: expect.stringMatching(/recipient is inactive at Postmark/),
      result: { errorCode: 406, httpStatus: 200 },
    });
    expect(invalid).toBeInstanceOf(PermanentError);
    expect(invalid).toMatchObject({
      code: 'postmark_300',
      message: expect.stringMatching(/invalid and refused it: Invalid 'To' address: 'nope'/),
    });
  });

  it('throws for a request that failed as a whole: maintenance, 5xx and 429 say the provider is down', async () => {
    for (const [status, ErrorCode, code] of [
      [503, 100, 'postmark_100'],
      [500, 0, 'http_500'],
      [429, 0, 'http_429'],
    ] as const) {
      replyBatch = () => ({ status, body: { ErrorCode, Message: 'down' } });
      const error = await failure(sender().sendBatch!(emails('a@example.com', 'b@example.com')));
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect(error).toMatchObject({ code });
    }
  });

  it('throws for a batch request that times out, and cancels it', async () => {
    replyBatch = () => 'hang';
    const error = await failure(sender().sendBatch!(emails('a@example.com'), AbortSignal.timeout(300)));
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect(error).toMatchObject({ code: 'timeout' });
  });
});

describe('Retry-After', () => {
  it('reads seconds and HTTP dates, and ignores garbage', () => {
    const now = Date.parse('2026-05-01T10:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Fri, 01 May 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Fri, 01 May 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('99999999', now)).toBe(24 * 3_600_000);
  });
});

describe('the order confirmation', () => {
  it('says what was ordered in text and escaped HTML', () => {
    const email = renderOrderConfirmation({
      orderId: 'A-1042',
      customer: { email: 'ada@example.com', name: 'Ada <script>alert(1)</script>' },
      total: 59.5,
      currency: 'EUR',
      items: [{ name: 'Tea & "biscuits"', quantity: 2, price: 29.75 }],
    });
    expect(email.to).toBe('ada@example.com');
    expect(email.subject).toBe('Your order A-1042 is confirmed');
    expect(email.textBody).toContain('Hello Ada <script>alert(1)</script>,');
    expect(email.textBody).toContain('2 × Tea & "biscuits" — €59.50');
    expect(email.textBody).toContain('Total: €59.50');
    expect(email.htmlBody).not.toContain('<script>');
    expect(email.htmlBody).toContain('Ada &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(email.htmlBody).toContain('Tea &amp; &quot;biscuits&quot;');
  });
});

describe('the email subscriptions in a worker', () => {
  let t: TestDatabase;
  let worker: Worker;
  beforeAll(async () => {
    t = await createTestDatabase();
    worker = new Worker({
      pool: t.pool,
      url: t.url,
      channels,
      subscriptions: emailSubscriptions({
        sender: sender(),
        retry: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 500 },
      }),
      log: pino({ level: 'silent' }),
      pollIntervalMs: 100,
    });
    await worker.start();
  });
  afterAll(async () => {
    await worker?.stop();
    await t?.drop();
  });

  it('records Postmark evidence on success, and dead-letters an inactive recipient at once', async () => {
    reply = (req) => {
      const to = String((req.body as { To: string }).To);
      if (to !== 'gone@example.com') return ok(to);
      return {
        status: 422,
        body: {
          ErrorCode: 406,
          Message: 'Found inactive addresses: gone@example.com. Inactive recipients are…',
        },
      };
    };
    const good = await publish(t.db, 'order.approved', {
      orderId: 'o-1',
      customer: { email: 'ada@example.com', name: 'Ada' },
      total: 10,
    });
    const bad = await publish(t.db, 'order.approved', {
      orderId: 'o-2',
      customer: { email: 'gone@example.com', name: 'Gone' },
      total: 10,
    });
    const mail = await publish(t.db, 'email.send', {
      to: 'bob@example.com',
      subject: 'Hi',
      text: 'Hello Bob',
    });
    const rows = await waitFor('three finished deliveries', async () => {
      const r = await t.query<{
        event_id: number;
        state: string;
        attempts: number;
        outcome: string;
        result: Record<string, unknown>;
        error: string;
      }>(
        `SELECT d.event_id, d.state, d.attempts, a.outcome, a.result, a.error
         FROM herald.deliveries d JOIN herald.attempts a ON a.delivery_id = d.id
         WHERE d.state IN ('succeeded','dead') ORDER BY d.event_id`,
      );
      return r.length === 3 ? r : undefined;
    });
    const byEvent = new Map(rows.map((r) => [r.event_id, r]));
    expect(byEvent.get(good.id)).toMatchObject({
      state: 'succeeded',
      attempts: 1,
      result: { to: 'ada@example.com', messageId: expect.any(String), submittedAt: expect.any(String) },
    });
    expect(byEvent.get(mail.id)).toMatchObject({ state: 'succeeded', result: { to: 'bob@example.com' } });
    expect(byEvent.get(bad.id)).toMatchObject({
      state: 'dead',
      attempts: 1,
      outcome: 'dead',
      result: { errorCode: 406 },
    });
    expect(byEvent.get(bad.id)?.error).toMatch(/recipient is inactive/);
    // Batched by default: every email went through /email/batch, none one by one.
    expect(seen.map((s) => s.path)).toEqual(seen.map(() => '/email/batch'));
    const emailBody = seen.flatMap((s) => s.body as { To: string }[]).find((m) => m.To === 'bob@example.com');
    expect(emailBody).toMatchObject({
      Subject: 'Hi',
      TextBody: 'Hello Bob',
      Metadata: { heraldDeliveryId: expect.any(String) },
    });
  });

  it('retries every email of a batch request Postmark failed as a whole, each attempt counted per delivery', async () => {
    let failuresLeft = 1;
    replyBatch = () => {
      if (failuresLeft === 0) return undefined;
      failuresLeft--;
      return { status: 503, body: { ErrorCode: 100, Message: 'Maintenance' } };
    };
    const { publishMany } = createPublisher(channels);
    const events = await publishMany(
      t.db,
      ['x1@example.com', 'x2@example.com', 'x3@example.com'].map((to) => ({
        channel: 'email.send' as const,
        payload: { to, subject: 'Hi', text: 'Hello' },
      })),
    );
    const ids = events.map((e) => e.id);
    const rows = await waitFor('three delivered emails', async () => {
      const r = await t.query<{ id: number; state: string; attempts: number }>(
        `SELECT id, state, attempts FROM herald.deliveries WHERE event_id = ANY($1) AND state = 'succeeded'`,
        [ids],
      );
      return r.length === 3 ? r : undefined;
    });
    expect(rows.map((r) => r.attempts)).toEqual([2, 2, 2]);
    const attempts = await t.query<{ attempt: number; outcome: string; error_code: string }>(
      `SELECT attempt, outcome, error_code FROM herald.attempts WHERE delivery_id = ANY($1) ORDER BY delivery_id, attempt`,
      [rows.map((r) => r.id)],
    );
    expect(attempts.map((a) => [a.attempt, a.outcome, a.error_code])).toEqual(
      rows.flatMap(() => [
        [1, 'failed', 'postmark_100'],
        [2, 'succeeded', null],
      ]),
    );
    // The failed request carried all three; the retries (each on its own jittered backoff, so
    // perhaps in more than one request) sent each of them once more.
    const sent = seen.map((s) =>
      (s.body as { To: string }[]).map((m) => m.To).filter((to) => to.startsWith('x')),
    );
    expect(sent[0]).toEqual(['x1@example.com', 'x2@example.com', 'x3@example.com']);
    expect(sent.flat().sort()).toEqual(['x1', 'x1', 'x2', 'x2', 'x3', 'x3'].map((x) => `${x}@example.com`));
  });
});
