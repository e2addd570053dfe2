import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeKey } from './api-helpers';
import { request, setupAuthDatabase } from './auth-helpers';
import type { TestDatabase } from './helpers/db';
import { renderTree } from './helpers/render-tree';
import { sessionCookieFor } from './helpers/session';

/**
 * Issue #18, item 3: a viewer sees recipients, payloads and error texts masked, so a filter on
 * any of them must not answer a viewer either — "is there a match?" asked one character at a
 * time rebuilds the hidden value. Each test performs the attack; the rule lives in
 * lib/auth/masked-filters.ts.
 */
const RECIPIENT = 'zelda.quill@example.com';
const IDEMPOTENCY = 'welcome-mail-7f3a9c';
/** The lookup's heading when it found events ("1 event for “…”", "The 3 most recent events for “…”"). */
const FOUND = /\bevents? for “/;

const nav = vi.hoisted(() => ({ headers: new Headers() }));
vi.mock('next/headers', () => ({
  headers: async () => nav.headers,
  cookies: async () => ({ get: () => undefined, getAll: () => [], has: () => false }),
}));

let t: TestDatabase;
let viewer: string;
let support: string;
let operateKey: string;
let orderEvent: number;
let mailEvent: number;

beforeAll(async () => {
  t = await setupAuthDatabase();
  await t.query(`INSERT INTO herald.subscriptions (name, channel_pattern)
                 VALUES ('order-mailer', 'order.approved'), ('mailer', 'email.send')`);
  viewer = await sessionCookieFor(t, 'viewer', 'viewer@example.com');
  support = await sessionCookieFor(t, 'support', 'support@example.com');
  // Bulk actions without `read`: an automation key that replays after an outage.
  operateKey = await makeKey(t, 'replayer', ['operate']);
  const [o] = await t.query<{ id: number }>(
    `INSERT INTO herald.events (channel, payload, key) VALUES ('order.approved', $1, 'order:A-7731') RETURNING id`,
    [JSON.stringify({ orderId: 'A-7731', customer: { email: RECIPIENT, name: 'Zelda Quill' }, total: 12 })],
  );
  orderEvent = o!.id;
  const [m] = await t.query<{ id: number }>(
    `INSERT INTO herald.events (channel, payload, key, idempotency_key) VALUES ('email.send', $1, $2, $3) RETURNING id`,
    [JSON.stringify({ to: RECIPIENT, subject: 'Welcome', text: 'Hi' }), RECIPIENT, IDEMPOTENCY],
  );
  mailEvent = m!.id;
  await t.query(
    `UPDATE herald.deliveries SET state = 'dead', attempts = 3, finished_at = now(), last_error = $2 WHERE event_id = $1`,
    [mailEvent, `The recipient is inactive at Postmark: Found inactive addresses: ${RECIPIENT}.`],
  );
});
afterAll(async () => {
  await t?.drop();
});

async function page(file: string, cookie: string, searchParams: Record<string, string>) {
  const mod = (await import(file)) as { default: (props: unknown) => Promise<unknown> };
  nav.headers = new Headers({ cookie });
  return renderTree(
    await mod.default({ params: Promise.resolve({}), searchParams: Promise.resolve(searchParams) }),
  );
}

async function api(file: string, path: string, init: { cookie?: string; token?: string; body?: unknown }) {
  const mod = (await import(file)) as Record<string, (r: Request, c: unknown) => Promise<Response>>;
  const headers: Record<string, string> = {};
  if (init.cookie) headers.cookie = init.cookie;
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const req = request(path, { method: init.body === undefined ? 'GET' : 'POST', body: init.body, headers });
  const response = await mod[req.method]!(req, { params: Promise.resolve({}) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The page's answer to a guess: what it lists (events, dead deliveries), without the echo of the guess. */
const listed = (text: string) =>
  [...text.matchAll(/Event (\d+)|Open delivery (\d+)|\/deliveries\/(\d+)/g)].map((m) => m[0]);
const refusal = /needs the permission to see payloads/i;
/** The page's alert (role="alert"), where it says why it shows nothing. */
const alert = (r: Awaited<ReturnType<typeof page>>) =>
  r.elements
    .filter((e) => e.props.role === 'alert')
    .map((e) => String(e.props.children))
    .join('\n');
const field = (r: Awaited<ReturnType<typeof page>>, name: string) =>
  r.elements.find((e) => e.type === 'input' && e.props.name === name)?.props;

describe('a viewer cannot confirm a masked recipient one character at a time', () => {
  it('through the events error-text filter (/events?error=)', async () => {
    const right = await page('../app/events/page', viewer, { error: 'zelda.q' });
    const wrong = await page('../app/events/page', viewer, { error: 'zelda.x' });
    expect(listed(right.text)).toEqual(listed(wrong.text));
    expect(listed(right.text)).toEqual([]);
    expect(alert(right)).toMatch(refusal);
    expect(field(right, 'error')?.disabled).toBe(true);
  });

  it('through the events payload-field filter (/events?field=customer.email=…)', async () => {
    const right = await page('../app/events/page', viewer, { field: `customer.email=${RECIPIENT}` });
    expect(listed(right.text)).toEqual([]);
    expect(alert(right)).toMatch(refusal);
    expect(field(right, 'field')?.disabled).toBe(true);
  });

  it('through the events key filter when the key is an address (/events?key=…)', async () => {
    const right = await page('../app/events/page', viewer, { key: RECIPIENT });
    expect(listed(right.text)).toEqual([]);
    expect(alert(right)).toMatch(refusal);
    // A business key the viewer sees unmasked still filters.
    const order = await page('../app/events/page', viewer, { key: 'order:A-7731' });
    expect(order.text).toContain(`Event ${orderEvent}`);
  });

  it('through the dead-letter error filter (/dead-letters?error=)', async () => {
    const right = await page('../app/dead-letters/page', viewer, { error: 'zelda.q' });
    const wrong = await page('../app/dead-letters/page', viewer, { error: 'zelda.x' });
    expect(alert(right)).toMatch(refusal);
    // The dead delivery's row (its masked error) is not listed for the right guess or the wrong one.
    expect(right.text).not.toContain('z•••@example.com');
    expect(right.text).toEqual(wrong.text.replaceAll('zelda.x', 'zelda.q'));
    expect(field(right, 'error')?.disabled).toBe(true);
  });

  it('through the API key filter (GET /api/v1/events?key=<address>): 403 forbidden', async () => {
    const r = await api('../app/api/v1/events/route', `/api/v1/events?key=${encodeURIComponent(RECIPIENT)}`, {
      cookie: viewer,
    });
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ error: { code: 'forbidden', message: expect.stringMatching(/key/) } });
    const order = await api('../app/api/v1/events/route', '/api/v1/events?key=order%3AA-7731', {
      cookie: viewer,
    });
    expect(order.status).toBe(200);
    expect((order.body.items as { id: number }[]).map((e) => e.id)).toEqual([orderEvent]);
  });

  it('through the lookup by email address (/lookup?q=<address>)', async () => {
    const r = await page('../app/lookup/page', viewer, { q: RECIPIENT });
    expect(alert(r)).toMatch(refusal);
    expect(r.text).not.toContain(`#${orderEvent}`);
    expect(r.text).not.toMatch(FOUND);
  });

  it('through the lookup by idempotency key or payload order id (/lookup?q=…)', async () => {
    const byIdempotency = await page('../app/lookup/page', viewer, { q: IDEMPOTENCY });
    expect(byIdempotency.text).not.toMatch(FOUND);
    // `A-7731` is also the business key order:A-7731, which the viewer sees: that match stays.
    const byOrder = await page('../app/lookup/page', viewer, { q: 'A-7731' });
    expect(byOrder.text).toMatch(/\b1 event for “A-7731”/);
    const byPayloadOnly = await t.query(`UPDATE herald.events SET key = NULL WHERE id = $1`, [orderEvent]);
    expect(byPayloadOnly).toEqual([]);
    try {
      const hidden = await page('../app/lookup/page', viewer, { q: 'A-7731' });
      expect(hidden.text).not.toMatch(FOUND);
    } finally {
      await t.query(`UPDATE herald.events SET key = 'order:A-7731' WHERE id = $1`, [orderEvent]);
    }
  });

  it('through a bulk-replay dry run counting error text (API key with operate but not read)', async () => {
    const r = await api('../app/api/v1/deliveries/replay/route', '/api/v1/deliveries/replay', {
      token: operateKey,
      body: { errorContains: 'zelda.q', dryRun: true },
    });
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ error: { code: 'forbidden' } });
  });
});

describe('support (read:payloads) still filters on everything', () => {
  it('error text, payload field, address key and lookup by email all answer', async () => {
    expect((await page('../app/events/page', support, { error: 'zelda.q' })).text).toContain(
      `Event ${mailEvent}`,
    );
    expect((await page('../app/events/page', support, { field: `to=${RECIPIENT}` })).text).toContain(
      `Event ${mailEvent}`,
    );
    expect((await page('../app/dead-letters/page', support, { error: 'zelda.q' })).text).toContain(RECIPIENT);
    expect((await page('../app/lookup/page', support, { q: RECIPIENT })).text).toMatch(FOUND);
    const r = await api('../app/api/v1/events/route', `/api/v1/events?key=${encodeURIComponent(RECIPIENT)}`, {
      cookie: support,
    });
    expect(r.status).toBe(200);
    expect((r.body.items as { id: number }[]).map((e) => e.id)).toEqual([mailEvent]);
  });
});
