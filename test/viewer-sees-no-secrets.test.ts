import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { applySandboxChange } from '../app/api/v1/sandbox/change';
import { pageAccess, routeAccess } from '../lib/auth/access';
import { type Role, rolePermissions } from '../lib/auth/principal';
import { userPrincipal } from '../lib/auth/session';
import { replayMatching } from '../lib/operations/deliveries';
import { markAddressInactive } from '../lib/sandbox/settings';
import { request, setupAuthDatabase, signInAs } from './auth-helpers';
import { projectRoot } from './helpers/cli';
import type { TestDatabase } from './helpers/db';
import { renderTree } from './helpers/render-tree';
import { sessionCookieFor } from './helpers/session';

/**
 * Issue #18, item 4: what is masked for a viewer in one place must not show in another. Known
 * secrets are seeded everywhere Herald keeps them (payload, recipient, email subject, idempotency
 * key, sandbox outbox, Postmark's answers, audit log), then every page, API route and stream a
 * viewer can reach — enumerated from lib/auth/access.ts, so a new page is covered by itself — is
 * fetched with ids of the seeded rows and with filters in the query string. None of the secrets
 * may appear. The same pages as `support` must show them (so this test can fail), and nobody,
 * not even an admin, sees what a failed sign-in typed into the email field.
 */
const RECIPIENT = 'zelda.quill@example.com';
const NAME = 'Marguerite Oyelaran';
const SUBJECT = 'Pickup code BRAMBLE-4471 for your parcel';
const IDEMPOTENCY = 'idem-K7Q2XW-welcome';
/** A password typed into the email field of the sign-in form. */
const TYPED = 'Hunter2-Typed-Password!';
/** An address an operator reactivated in the sandbox (the audit log keeps it). */
const REACTIVATED = 'ophelia.reactivated@example.com';

/** The part of each secret that must not appear (case-insensitive): masks keep domains. */
const SECRETS: Record<string, string> = {
  recipient: 'zelda.quill',
  'customer name': 'Oyelaran',
  'email subject': 'BRAMBLE',
  'idempotency key': 'K7Q2XW',
  'typed password': 'hunter2-typed',
  'reactivated address': 'ophelia.reactivated',
};

const nav = vi.hoisted(() => ({ headers: new Headers() }));
vi.mock('next/headers', () => ({
  headers: async () => nav.headers,
  cookies: async () => ({ get: () => undefined, getAll: () => [], has: () => false }),
}));

let t: TestDatabase;
const sessions = {} as Record<Role, string>;
const ids = { orderEvent: 0, mailEvent: 0, deadDelivery: 0, orderDelivery: 0, refused: 0, accepted: 0 };

beforeAll(async () => {
  t = await setupAuthDatabase();
  await t.query(`INSERT INTO herald.subscriptions (name, channel_pattern)
                 VALUES ('order-mailer', 'order.approved'), ('mailer', 'email.send')`);
  for (const role of ['viewer', 'support', 'operator', 'admin'] as const)
    sessions[role] = await sessionCookieFor(t, role, `${role}@example.com`);

  const [o] = await t.query<{ id: number }>(
    `INSERT INTO herald.events (channel, payload, key, idempotency_key, source)
     VALUES ('order.approved', $1, 'order:A-7731', $2, 'checkout') RETURNING id`,
    [
      JSON.stringify({ orderId: 'A-7731', customer: { email: RECIPIENT, name: NAME }, total: 12 }),
      IDEMPOTENCY,
    ],
  );
  ids.orderEvent = o!.id;
  const [m] = await t.query<{ id: number }>(
    `INSERT INTO herald.events (channel, payload, key, idempotency_key) VALUES ('email.send', $1, $2, $3) RETURNING id`,
    [
      JSON.stringify({ to: RECIPIENT, subject: SUBJECT, text: `Dear ${NAME}` }),
      RECIPIENT,
      `${IDEMPOTENCY}-mail`,
    ],
  );
  ids.mailEvent = m!.id;
  const inactive = `The recipient is inactive at Postmark: Found inactive addresses: ${RECIPIENT}.`;
  const [dead] = await t.query<{ id: number }>(
    `UPDATE herald.deliveries SET state = 'dead', attempts = 1, finished_at = now(), last_error = $2
     WHERE event_id = $1 RETURNING id`,
    [ids.mailEvent, inactive],
  );
  ids.deadDelivery = dead!.id;
  await t.query(
    `INSERT INTO herald.attempt_log (delivery_id, attempt, worker, started_at, outcome, error_code, error, result)
     VALUES ($1, 1, 'w1', now() - interval '1 second', 'dead', 'postmark_406', $2, $3)`,
    [ids.deadDelivery, inactive, JSON.stringify({ to: RECIPIENT, subject: SUBJECT })],
  );
  const [ok] = await t.query<{ id: number }>(
    `UPDATE herald.deliveries SET state = 'succeeded', attempts = 1, finished_at = now() WHERE event_id = $1 RETURNING id`,
    [ids.orderEvent],
  );
  ids.orderDelivery = ok!.id;
  await t.query(
    `INSERT INTO herald.attempt_log (delivery_id, attempt, worker, started_at, outcome, result)
     VALUES ($1, 1, 'w1', now() - interval '1 second', 'succeeded', $2)`,
    [ids.orderDelivery, JSON.stringify({ messageId: 'm-7731', to: RECIPIENT })],
  );
  await t.query(
    `INSERT INTO herald.email_events (record_type, message_id, recipient, occurred_at, dedupe_key, payload, delivery_id)
     VALUES ('Bounce', 'm-7731', $1, now(), 'b-7731', $2, $3)`,
    [
      RECIPIENT,
      JSON.stringify({ Type: 'HardBounce', Description: `${RECIPIENT} does not exist` }),
      ids.orderDelivery,
    ],
  );
  // The sandbox outbox: one refused (quoting the recipient), one accepted.
  const [refused] = await t.query<{ id: number }>(
    `INSERT INTO herald.sandbox_messages (endpoint, status, http_status, error_code, error_message, from_address,
       to_address, subject, text_body, tag, request)
     VALUES ('email', 'rejected', 422, 406, $1, 'shop@herald.test', $2, $3, $4, $5, $6) RETURNING id`,
    [
      `You tried to send to recipient(s) that have been marked as inactive. Found inactive addresses: ${RECIPIENT}.`,
      RECIPIENT,
      SUBJECT,
      `Dear ${NAME}`,
      `order-${NAME}`,
      JSON.stringify({ To: RECIPIENT, Subject: SUBJECT }),
    ],
  );
  ids.refused = refused!.id;
  const [accepted] = await t.query<{ id: number }>(
    `INSERT INTO herald.sandbox_messages (message_id, endpoint, status, http_status, from_address, to_address,
       subject, html_body, request, webhook_type, webhook_posted_at, webhook_error)
     VALUES ('m-7731', 'email', 'accepted', 200, 'shop@herald.test', $1, $2, $3, $4, 'Bounce', now(), $5) RETURNING id`,
    [
      RECIPIENT,
      SUBJECT,
      `<p>Dear ${NAME}</p>`,
      JSON.stringify({ To: RECIPIENT, Subject: SUBJECT }),
      `webhook for ${RECIPIENT} refused`,
    ],
  );
  ids.accepted = accepted!.id;
  await markAddressInactive(t.db, RECIPIENT, 'HardBounce');
  // An operator reactivates an address (audited with the address), and bulk-replays by error text.
  const operator = userPrincipal({ id: 'op', email: 'operator@example.com', role: 'operator' });
  await markAddressInactive(t.db, REACTIVATED);
  await applySandboxChange(t.db, operator, { reactivate: REACTIVATED });
  await replayMatching(
    t.db,
    { errorContains: 'zelda.quill' },
    { actor: operator.actor, reason: `for ${RECIPIENT}` },
  );
  await t.query(`UPDATE herald.deliveries SET state = 'dead', finished_at = now() WHERE id = $1`, [
    ids.deadDelivery,
  ]);
  // A password typed into the email field: through the real sign-in route…
  expect((await signInAs(TYPED, 'not the password', '10.9.9.9')).status).toBe(401);
  // …and as entries written before the route stopped recording such text.
  await t.query(
    `INSERT INTO herald.audit_log (actor, action, target, details) VALUES
       ('anonymous', 'auth.sign_in_failed', $1, '{"address":"10.9.9.9"}'),
       ('anonymous', 'auth.sign_in_failed', $2, '{"address":"10.9.9.9"}')`,
    [`user:${TYPED.toLowerCase()}`, `user:${TYPED.toLowerCase()}@typo.example.com`],
  );
});
afterAll(async () => {
  const holder = globalThis as { heraldActivityHub?: { stop(): Promise<void> } };
  await holder.heraldActivityHub?.stop();
  await t?.drop();
});

function find(dir: string, name: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return find(full, name);
    return e.name === name ? [full] : [];
  });
}
function urlPath(file: string): string {
  const segments = path
    .relative(path.join(projectRoot, 'app'), path.dirname(file))
    .split(path.sep)
    .filter((s) => s && !/^\(.*\)$/.test(s) && !s.startsWith('@'));
  return `/${segments.join('/')}`;
}
const pageFiles = find(path.join(projectRoot, 'app'), 'page.tsx');
const routeFiles = find(path.join(projectRoot, 'app'), 'route.ts');

/** Sample params that point at the seeded rows: each dynamic page and route is fetched for each. */
function paramSets(route: string): Record<string, string>[] {
  if (!route.includes('[')) return [{}];
  if (route.includes('/deliveries/[id]'))
    return [{ id: String(ids.deadDelivery) }, { id: String(ids.orderDelivery) }];
  if (route.includes('/events/[id]')) return [{ id: String(ids.orderEvent) }, { id: String(ids.mailEvent) }];
  return [{ id: '999999', name: 'mailer', key: 'nobody' }];
}
const fill = (route: string, params: Record<string, string>) =>
  route.replace(/\[(\w+)\]/g, (_, k: string) => params[k] ?? 'x');

/** Query strings that exercise every filter a page or route knows (and some it does not). */
function queries(): Record<string, string>[] {
  return [
    {},
    {
      q: 'order:A-7731',
      key: 'order:A-7731',
      error: 'zelda.q',
      field: 'customer.email=zelda.q',
      channel: 'email.send',
      subscription: 'mailer',
      state: 'dead',
      message: String(ids.refused),
      actor: 'anonymous',
      action: 'auth.sign_in_failed',
    },
    { q: String(ids.mailEvent), message: String(ids.accepted), status: 'accepted', action: 'sandbox.update' },
    { q: 'A-7731', status: 'rejected', action: 'delivery.bulk_replay' },
    { state: 'dead', subscription: 'mailer' },
    { eventId: String(ids.mailEvent) },
    { key: RECIPIENT.replace('zelda.quill', 'zelda.qu') },
  ];
}

const readable = (role: Role, access: string) =>
  access === 'public' || (rolePermissions[role] as readonly string[]).includes(access);

/** What the browser would receive for a page: its rendered tree, or nothing for a redirect. */
async function renderPage(
  page: string,
  cookie: string,
  params: Record<string, string>,
  q: Record<string, string>,
) {
  const file = pageFiles.find((f) => urlPath(f) === page)!;
  const mod = (await import(file)) as { default: (props: unknown) => Promise<unknown> };
  nav.headers = new Headers({ cookie });
  try {
    return (
      await renderTree(mod.default({ params: Promise.resolve(params), searchParams: Promise.resolve(q) }))
    ).text;
  } catch (error) {
    const digest = String((error as { digest?: unknown }).digest ?? '');
    if (digest.startsWith('NEXT_REDIRECT') || digest.startsWith('NEXT_HTTP_ERROR_FALLBACK')) return '';
    throw error;
  }
}

/** A route's body; for a stream, what arrives in its first second. */
async function callRoute(
  route: string,
  cookie: string,
  params: Record<string, string>,
  q: Record<string, string>,
) {
  const mod = (await import(routeFiles.find((f) => urlPath(f) === route)!)) as Record<
    string,
    (r: Request, c: unknown) => Promise<Response>
  >;
  const abort = new AbortController();
  const query = new URLSearchParams(q);
  const base = request(`${fill(route, params)}${query.size > 0 ? `?${query}` : ''}`, { headers: { cookie } });
  const response = await mod.GET!(new Request(base, { signal: abort.signal }), {
    params: Promise.resolve(params),
  });
  if (!response.headers.get('content-type')?.includes('text/event-stream')) return response.text();
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const deadline = Date.now() + 1000;
  while (Date.now() < deadline) {
    const chunk = await Promise.race([
      reader.read(),
      new Promise<null>((r) => setTimeout(() => r(null), deadline - Date.now())),
    ]);
    if (!chunk || chunk.done) break;
    text += decoder.decode(chunk.value, { stream: true });
  }
  abort.abort();
  await reader.cancel().catch(() => {});
  return text;
}

/** Every body a role can fetch with a GET: pages, API routes and the stream. */
async function everything(role: Role): Promise<{ where: string; body: string }[]> {
  const out: { where: string; body: string }[] = [];
  for (const [page, access] of Object.entries(pageAccess)) {
    if (!readable(role, access)) continue;
    for (const params of paramSets(page))
      for (const q of queries())
        out.push({
          where: `${fill(page, params)}?${new URLSearchParams(q)}`,
          body: await renderPage(page, sessions[role], params, q),
        });
  }
  for (const [route, methods] of Object.entries(routeAccess)) {
    if (!methods.GET || !readable(role, methods.GET)) continue;
    for (const params of paramSets(route))
      for (const q of queries())
        out.push({
          where: `GET ${fill(route, params)}?${new URLSearchParams(q)}`,
          body: await callRoute(route, sessions[role], params, q),
        });
  }
  return out;
}

const leaks = (bodies: { where: string; body: string }[], secret: string) =>
  bodies.filter((b) => b.body.toLowerCase().includes(secret.toLowerCase())).map((b) => b.where);

describe('a viewer sees no secret on any page, API route or stream', () => {
  it('none of the seeded secrets appears in any body a viewer can fetch', async () => {
    const bodies = await everything('viewer');
    // The enumeration did reach the seeded rows (masked).
    expect(bodies.some((b) => b.body.includes('z•••@example.com'))).toBe(true);
    expect(
      bodies.filter((b) => b.where.startsWith('GET /api/v1/stream')).some((b) => b.body.includes('event:')),
    ).toBe(true);
    const found = Object.fromEntries(Object.entries(SECRETS).map(([what, s]) => [what, leaks(bodies, s)]));
    expect(found).toEqual(Object.fromEntries(Object.keys(SECRETS).map((what) => [what, []])));
  }, 300_000);

  it('support (read:payloads) does see them on the same pages, but not the typed password', async () => {
    const bodies = await everything('support');
    for (const what of [
      'recipient',
      'customer name',
      'email subject',
      'idempotency key',
      'reactivated address',
    ])
      expect({ what, found: leaks(bodies, SECRETS[what]!).length > 0 }).toEqual({ what, found: true });
    expect(leaks(bodies, SECRETS['typed password']!)).toEqual([]);
  }, 300_000);

  it('an admin sees the address of a failed sign-in for an unknown account, never text that is no address', async () => {
    const bodies = await everything('admin');
    expect(leaks(bodies, 'hunter2-typed-password!@typo.example.com').length).toBeGreaterThan(0);
    expect(
      bodies.filter((b) => b.body.toLowerCase().split('\n').includes('user:hunter2-typed-password!')),
    ).toEqual([]);
    // And the sign-in route no longer records such text at all.
    const stored = await t.query<{ target: string }>(
      `SELECT target FROM herald.audit_log WHERE action = 'auth.sign_in_failed' AND details->>'address' = '10.9.9.9'
       ORDER BY id`,
    );
    expect(stored.map((r) => r.target)).toEqual([
      'user:(unknown account)',
      `user:${TYPED.toLowerCase()}`,
      `user:${TYPED.toLowerCase()}@typo.example.com`,
    ]);
    // Nor does the sign-in throttle keep it: its rows name the account by a keyed hash.
    const throttle = await t.query<{ key: string }>(`SELECT key FROM herald.sign_in_throttle`);
    expect(throttle.length).toBeGreaterThan(0);
    expect(throttle.filter((r) => r.key.toLowerCase().includes('hunter2'))).toEqual([]);
  }, 300_000);
});
