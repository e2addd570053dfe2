import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailSubscriptions } from '../lib/email/subscriptions';
import { syncSubscriptions } from '../lib/subscriptions/sync';
import { createTestDatabase, type TestDatabase } from './helpers/db';

const USER = 'postmark';
const PASSWORD = 'webhook-secret-42';
let t: TestDatabase;
// The route handler reads its database and credentials from the environment (sharedDb, config).
let POST: (request: Request) => Promise<Response>;

beforeAll(async () => {
  t = await createTestDatabase();
  process.env.DATABASE_URL = t.url;
  process.env.POSTMARK_SERVER_TOKEN = 'real-token';
  process.env.POSTMARK_WEBHOOK_USER = USER;
  process.env.POSTMARK_WEBHOOK_PASSWORD = PASSWORD;
  ({ POST } = await import('../app/api/v1/webhooks/postmark/route'));
  await syncSubscriptions(t.db, emailSubscriptions(), 30_000);
});
afterAll(async () => {
  const { sharedPool } = await import('../lib/db/client');
  await sharedPool().end();
  await t?.drop();
});

function post(
  body: unknown,
  auth: string | null = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`,
) {
  return POST(
    new Request('http://localhost/api/v1/webhooks/postmark', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(auth ? { Authorization: auth } : {}) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
}

async function count(where = 'true'): Promise<number> {
  const [row] = await t.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM herald.email_events WHERE ${where}`,
  );
  return row!.n;
}

/** An email sent by the `email` subscriber: an event, its delivery and the attempt carrying the MessageID. */
async function sentEmail(to: string): Promise<{ messageId: string; attemptId: number; deliveryId: number }> {
  const messageId = randomUUID();
  const [event] = await t.query<{ id: number }>(`SELECT herald.publish('email.send', $1::jsonb) AS id`, [
    JSON.stringify({ to, subject: 'Hi', text: 'Hello' }),
  ]);
  const [delivery] = await t.query<{ id: number }>(
    `UPDATE herald.deliveries SET state = 'succeeded', attempts = 1, finished_at = now()
     WHERE event_id = $1 RETURNING id`,
    [event!.id],
  );
  const [attempt] = await t.query<{ id: number }>(
    `INSERT INTO herald.attempt_log (delivery_id, attempt, started_at, outcome, result)
     VALUES ($1, 1, now(), 'succeeded', $2) RETURNING id`,
    [delivery!.id, JSON.stringify({ messageId, submittedAt: new Date().toISOString(), to })],
  );
  return { messageId, attemptId: attempt!.id, deliveryId: delivery!.id };
}

const at = '2026-05-01T10:00:00.1234567-04:00';
function records(messageId: string, email: string) {
  const common = {
    MessageID: messageId,
    MessageStream: 'outbound',
    ServerID: 23,
    Tag: 'order',
    Metadata: { orderId: '1' },
  };
  return {
    Delivery: {
      RecordType: 'Delivery',
      ...common,
      Recipient: email,
      DeliveredAt: at,
      Details: 'smtp;250 2.0.0 OK',
    },
    Bounce: {
      RecordType: 'Bounce',
      ...common,
      ID: 4323372036,
      Type: 'HardBounce',
      TypeCode: 1,
      Name: 'Hard bounce',
      Description: 'The server was unable to deliver your message (ex: unknown user, mailbox not found).',
      Details: 'Test bounce details',
      Email: email,
      From: 'shop@example.com',
      BouncedAt: at,
      Inactive: true,
      CanActivate: true,
      Subject: 'Hi',
    },
    SpamComplaint: {
      RecordType: 'SpamComplaint',
      ...common,
      ID: 42,
      Type: 'SpamComplaint',
      TypeCode: 512,
      Email: email,
      BouncedAt: at,
    },
    Open: {
      RecordType: 'Open',
      ...common,
      FirstOpen: true,
      Recipient: email,
      ReceivedAt: at,
      Platform: 'WebMail',
      ReadSeconds: 5,
      UserAgent: 'Mozilla/5.0',
      OS: { Name: 'OS X', Family: 'OS X', Company: 'Apple' },
      Client: { Name: 'Chrome', Family: 'Chrome', Company: 'Google' },
      Geo: { Country: 'Germany', City: 'Berlin' },
    },
    Click: {
      RecordType: 'Click',
      ...common,
      Recipient: email,
      ReceivedAt: at,
      Platform: 'Desktop',
      ClickLocation: 'HTML',
      OriginalLink: 'https://example.com/orders/1',
    },
    SubscriptionChange: {
      RecordType: 'SubscriptionChange',
      ...common,
      Recipient: email,
      ChangedAt: at,
      Origin: 'Recipient',
      SuppressSending: true,
      SuppressionReason: 'ManualSuppression',
    },
  };
}

describe('POST /api/v1/webhooks/postmark', () => {
  it('refuses wrong or missing credentials with 401 and stores nothing', async () => {
    const { messageId } = await sentEmail('ada@example.com');
    const body = records(messageId, 'ada@example.com').Delivery;
    const before = await count();
    for (const auth of [
      `Basic ${Buffer.from(`${USER}:wrong-password`).toString('base64')}`,
      `Basic ${Buffer.from(`intruder:${PASSWORD}`).toString('base64')}`,
      `Bearer ${PASSWORD}`,
      null,
    ]) {
      const res = await post(body, auth);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic/);
      expect(await res.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    }
    expect(await count()).toBe(before);
  });

  it('stores each RecordType linked to the attempt that sent the email', async () => {
    const { messageId, attemptId, deliveryId } = await sentEmail('bob@example.com');
    for (const [type, body] of Object.entries(records(messageId, 'bob@example.com'))) {
      const res = await post(body);
      expect(res.status, type).toBe(200);
      expect(await res.json()).toMatchObject({ ok: true, stored: true, recordType: type, attemptId });
    }
    const rows = await t.query<{
      record_type: string;
      attempt_id: number;
      delivery_id: number;
      recipient: string;
      occurred_at: Date;
    }>(
      'SELECT record_type, attempt_id, delivery_id, recipient, occurred_at FROM herald.email_events WHERE message_id = $1 ORDER BY id',
      [messageId],
    );
    expect(rows.map((r) => r.record_type)).toEqual([
      'Delivery',
      'Bounce',
      'SpamComplaint',
      'Open',
      'Click',
      'SubscriptionChange',
    ]);
    for (const r of rows) {
      expect(r).toMatchObject({
        attempt_id: attemptId,
        delivery_id: deliveryId,
        recipient: 'bob@example.com',
      });
      expect(r.occurred_at.toISOString()).toBe('2026-05-01T14:00:00.123Z');
    }
  });

  it('stores the same payload posted twice only once', async () => {
    const { messageId } = await sentEmail('cy@example.com');
    const body = records(messageId, 'cy@example.com').Delivery;
    expect(await (await post(body)).json()).toMatchObject({ stored: true });
    // Same content, keys in another order: still the same record.
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const again = await post(reordered);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ stored: false });
    expect(await count(`message_id = '${messageId}'`)).toBe(1);
  });

  it('keeps records for unknown message ids aside, and links them when the attempt appears', async () => {
    const messageId = randomUUID();
    const res = await post(records(messageId, 'dan@example.com').Delivery);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ stored: true, attemptId: null });
    // The attempt is recorded after the webhook arrived (the worker writes outcomes in batches).
    const [event] = await t.query<{ id: number }>(
      `SELECT herald.publish('email.send', '{"to":"dan@example.com","subject":"Hi","text":"x"}') AS id`,
    );
    const [attempt] = await t.query<{ id: number }>(
      `INSERT INTO herald.attempt_log (delivery_id, attempt, started_at, outcome, result)
       SELECT id, 1, now(), 'succeeded', jsonb_build_object('messageId', $2::text) FROM herald.deliveries WHERE event_id = $1
       RETURNING id`,
      [event!.id, messageId],
    );
    const [row] = await t.query<{ attempt_id: number }>(
      'SELECT attempt_id FROM herald.email_events WHERE message_id = $1',
      [messageId],
    );
    expect(row!.attempt_id).toBe(attempt!.id);
  });

  it('answers malformed bodies with a 4xx and stores nothing', async () => {
    const { messageId } = await sentEmail('eve@example.com');
    const good = records(messageId, 'eve@example.com');
    const before = await count();
    const cases: [unknown, number, string][] = [
      ['{"RecordType": "Delivery", ', 400, 'invalid_request'],
      ['[]', 422, 'invalid_payload'],
      [{ ...good.Delivery, RecordType: 'Inbound' }, 422, 'invalid_payload'],
      [{ ...good.Delivery, MessageID: undefined }, 422, 'invalid_payload'],
      [{ ...good.Delivery, DeliveredAt: 'yesterday' }, 422, 'invalid_payload'],
      [{ ...good.Bounce, Email: undefined }, 422, 'invalid_payload'],
      [{ ...good.SubscriptionChange, SuppressSending: 'yes' }, 422, 'invalid_payload'],
      [{ ...good.Delivery, Details: 'nul \u0000 here' }, 400, 'invalid_payload'],
    ];
    for (const [body, status, code] of cases) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(await res.json()).toEqual({ error: { code, message: expect.any(String) } });
    }
    expect(await count()).toBe(before);
  });
});
