import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db';

/**
 * Found by the chaos suite's bad-input scenario (seed 855546153): a webhook whose timestamp is
 * a valid JavaScript date but outside PostgreSQL's range (an extended ISO year) makes the
 * route throw — a 500 in production — instead of answering 4xx.
 */
let t: TestDatabase;
let POST: (request: Request) => Promise<Response>;

beforeAll(async () => {
  t = await createTestDatabase();
  process.env.DATABASE_URL = t.url;
  delete process.env.POSTMARK_SERVER_TOKEN; // sandbox credentials
  ({ POST } = await import('../app/api/v1/webhooks/postmark/route'));
});
afterAll(async () => {
  const { sharedPool } = await import('../lib/db/client');
  await sharedPool().end();
  await t?.drop();
});

it('answers 4xx, not a thrown error, for a delivery time PostgreSQL cannot store', async () => {
  const { webhookCredentials } = await import('../lib/email/config');
  const { user, password } = webhookCredentials()!; // the installation's generated sandbox password
  const request = new Request('http://localhost/api/v1/webhooks/postmark', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
    },
    body: JSON.stringify({
      RecordType: 'Delivery',
      MessageID: '00000000-0000-4000-8000-000000000000',
      Recipient: 'a@example.com',
      DeliveredAt: '+204678-04-14T06:53:55.746Z',
      MessageStream: 'outbound',
    }),
  });
  const status = await POST(request).then(
    (r) => r.status,
    (error: unknown) => `threw: ${String(error).slice(0, 200)}`,
  );
  expect(status).toBeTypeOf('number');
  expect(status as number).toBeLessThan(500);
});
