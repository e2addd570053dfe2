import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as acknowledgeRoute from '../app/api/v1/alerts/[id]/acknowledge/route';
import * as silenceRoute from '../app/api/v1/alerts/[id]/silence/route';
import * as destinationRoute from '../app/api/v1/alerts/destinations/[id]/route';
import * as destinationTestRoute from '../app/api/v1/alerts/destinations/[id]/test/route';
import * as destinationsRoute from '../app/api/v1/alerts/destinations/route';
import * as alertsRoute from '../app/api/v1/alerts/route';
import * as alertRulesRoute from '../app/api/v1/alerts/rules/route';
import * as deliveryDiscard from '../app/api/v1/deliveries/[id]/discard/route';
import * as deliveryReplay from '../app/api/v1/deliveries/[id]/replay/route';
import * as deliveryRetry from '../app/api/v1/deliveries/[id]/retry/route';
import * as bulkReplay from '../app/api/v1/deliveries/replay/route';
import * as deliveriesRoute from '../app/api/v1/deliveries/route';
import * as eventById from '../app/api/v1/events/[id]/route';
import * as batchRoute from '../app/api/v1/events/batch/route';
import * as eventsRoute from '../app/api/v1/events/route';
import * as pauseRoute from '../app/api/v1/subscriptions/[name]/pause/route';
import * as resumeRoute from '../app/api/v1/subscriptions/[name]/resume/route';
import * as tuningRoute from '../app/api/v1/subscriptions/[name]/tuning/route';
import { countRows, makeKey, setupApiDatabase } from './api-helpers';
import { ORIGIN, userWithSession } from './auth-helpers';
import type { TestDatabase } from './helpers/db';

/**
 * ≥ 5,000 generated requests, malformed or hostile, to every route: none may answer 5xx or
 * crash the process, every error is the JSON error shape, and a rejected request writes nothing.
 */
type Handler = (request: Request, context: { params: Promise<Record<string, string>> }) => Promise<Response>;
const routes: { name: string; handler: Handler; method: string; param?: string }[] = [
  { name: 'publish', handler: eventsRoute.POST as Handler, method: 'POST' },
  { name: 'list events', handler: eventsRoute.GET as Handler, method: 'GET' },
  { name: 'batch', handler: batchRoute.POST as Handler, method: 'POST' },
  { name: 'event', handler: eventById.GET as Handler, method: 'GET', param: 'id' },
  { name: 'deliveries', handler: deliveriesRoute.GET as Handler, method: 'GET' },
  { name: 'replay', handler: deliveryReplay.POST as Handler, method: 'POST', param: 'id' },
  { name: 'retry', handler: deliveryRetry.POST as Handler, method: 'POST', param: 'id' },
  { name: 'discard', handler: deliveryDiscard.POST as Handler, method: 'POST', param: 'id' },
  { name: 'bulk replay', handler: bulkReplay.POST as Handler, method: 'POST' },
  { name: 'pause', handler: pauseRoute.POST as Handler, method: 'POST', param: 'name' },
  { name: 'resume', handler: resumeRoute.POST as Handler, method: 'POST', param: 'name' },
  { name: 'tuning', handler: tuningRoute.GET as Handler, method: 'GET', param: 'name' },
  { name: 'tune', handler: tuningRoute.PATCH as Handler, method: 'PATCH', param: 'name' },
  { name: 'alerts', handler: alertsRoute.GET as Handler, method: 'GET' },
  { name: 'acknowledge', handler: acknowledgeRoute.POST as Handler, method: 'POST', param: 'id' },
  { name: 'silence', handler: silenceRoute.POST as Handler, method: 'POST', param: 'id' },
  { name: 'alert rule', handler: alertRulesRoute.PUT as Handler, method: 'PUT' },
  { name: 'add destination', handler: destinationsRoute.POST as Handler, method: 'POST' },
  { name: 'remove destination', handler: destinationRoute.DELETE as Handler, method: 'DELETE', param: 'id' },
  { name: 'test destination', handler: destinationTestRoute.POST as Handler, method: 'POST', param: 'id' },
];

let t: TestDatabase;
let tokens: string[];
/** An admin's session cookie: no API key may add or remove alert destinations. */
let adminCookie: string;

beforeAll(async () => {
  t = await setupApiDatabase();
  // As setupAuthDatabase: a fixed auth secret, so signing in writes no secret file.
  process.env.HERALD_AUTH_SECRET = 'test-secret-test-secret-test-secret-0123';
  adminCookie = await userWithSession(t, 'admin');
  tokens = [
    await makeKey(t, 'fuzz-all', ['publish', 'read', 'operate']),
    await makeKey(t, 'fuzz-publish', ['publish'], ['order.*']),
    await makeKey(t, 'fuzz-read', ['read']),
  ];
  // Some real rows, so ids and names sometimes hit something.
  await t.query(
    `SELECT herald.publish('sms', '{"to":"+14155550100","msg":"x"}'::jsonb) FROM generate_series(1, 5)`,
  );
  await t.query(
    `UPDATE herald.deliveries SET state = 'dead', finished_at = now(), last_error = 'x' WHERE id % 2 = 0`,
  );
  await t.query(`INSERT INTO herald.alert_destinations (name, kind, url, secret, from_env)
                 VALUES ('pager', 'webhook', 'http://127.0.0.1:9/alerts', 'whsec_fuzz', false),
                        ('env:slack', 'slack', 'https://hooks.slack.example/x', NULL, true)`);
  const [rule] = await t.query<{ id: number }>(
    `INSERT INTO herald.alert_rules (kind, subscription, window_seconds) VALUES ('stall', 'sms-sender', 600)
     RETURNING id::int`,
  );
  await t.query(
    `INSERT INTO herald.alerts (rule_id, kind, subscription, severity, summary, state)
     VALUES ($1, 'stall', 'sms-sender', 'warning', 'x', 'resolved'), ($1, 'stall', 'sms-sender', 'warning', 'y', 'firing')`,
    [rule!.id],
  );
});
afterAll(() => t?.drop());

const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    '\ud800',
    '\udfff x',
    "'; DROP TABLE herald.events; --",
    "' OR 1=1 --",
    '%00',
    '../../etc/passwd',
    '__proto__',
    'constructor',
    '9'.repeat(400),
    '-1',
    '0',
    '1e309',
    'NaN',
    'sms',
    'order.approved',
    'email.send',
    'sms-sender',
    'dead',
  ),
  fc.string({ minLength: 1000, maxLength: 3000 }),
);

const deep = fc.integer({ min: 50, max: 20_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`);
const deepObject = fc.integer({ min: 60, max: 5_000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`);

const publishLike = fc.record(
  {
    channel: fc.oneof(hostileString, fc.constantFrom('sms', 'order.approved', 'email.send'), fc.jsonValue()),
    payload: fc.oneof(
      fc.jsonValue(),
      fc.record({ to: hostileString, msg: hostileString }),
      fc.record({
        orderId: hostileString,
        customer: fc.record({ email: hostileString, name: hostileString }),
        total: fc.double(),
      }),
    ),
    key: fc.oneof(hostileString, fc.jsonValue()),
    idempotencyKey: fc.oneof(hostileString, fc.integer()),
    runAt: fc.oneof(
      hostileString,
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    ),
    extra: fc.jsonValue(),
  },
  { requiredKeys: [] },
);

const jsonBody = fc.oneof(
  fc.jsonValue(),
  publishLike,
  fc.record({ events: fc.oneof(fc.array(publishLike, { maxLength: 20 }), fc.jsonValue()) }),
  fc.record(
    {
      subscription: hostileString,
      channel: hostileString,
      errorContains: hostileString,
      since: hostileString,
      until: hostileString,
      ids: fc.oneof(fc.array(fc.oneof(fc.integer(), fc.double(), hostileString)), fc.jsonValue()),
      dryRun: fc.oneof(fc.boolean(), fc.jsonValue()),
      reason: hostileString,
    },
    { requiredKeys: [] },
  ),
  fc.record(
    {
      concurrency: fc.oneof(fc.integer(), fc.double(), fc.constant(null), hostileString, fc.jsonValue()),
      ratePerSecond: fc.oneof(fc.integer(), fc.double(), fc.constant(null), hostileString),
      reason: hostileString,
    },
    { requiredKeys: [] },
  ),
  // The alert routes: a rule, a silence (or an acknowledgement: reason only), a destination.
  fc.record(
    {
      kind: fc.oneof(fc.constantFrom('failure_rate', 'dead_growth', 'stall', 'circuit_open'), hostileString),
      subscription: fc.oneof(fc.constantFrom('', 'sms-sender', 'nobody'), hostileString, fc.jsonValue()),
      enabled: fc.oneof(fc.boolean(), fc.jsonValue()),
      threshold: fc.oneof(fc.integer(), fc.double(), hostileString),
      windowSeconds: fc.oneof(fc.integer(), fc.double(), hostileString),
      minCount: fc.oneof(fc.integer(), fc.double(), fc.constant(null)),
      repeatSeconds: fc.oneof(fc.integer(), fc.double(), hostileString),
      reason: hostileString,
    },
    { requiredKeys: [] },
  ),
  fc.record(
    {
      minutes: fc.oneof(fc.integer({ min: -10, max: 20_000 }), fc.integer(), fc.double(), hostileString),
      reason: fc.oneof(hostileString, fc.jsonValue()),
    },
    { requiredKeys: [] },
  ),
  fc.record(
    {
      kind: fc.oneof(fc.constantFrom('slack', 'webhook', 'email'), hostileString),
      name: fc.oneof(fc.constantFrom('pager', 'env:x', ' '), hostileString),
      url: fc.oneof(
        fc.webUrl(),
        fc.constantFrom('http://127.0.0.1:9/x', 'javascript:alert(1)', 'ftp://x.example/', 'http://'),
        hostileString,
      ),
      secret: hostileString,
      emails: fc.oneof(
        fc.array(fc.oneof(fc.emailAddress(), hostileString), { maxLength: 60 }),
        fc.jsonValue(),
      ),
    },
    { requiredKeys: [] },
  ),
);

const rawBody = fc.oneof(
  jsonBody.map((v) => JSON.stringify(v) ?? 'null'),
  deep,
  deepObject,
  hostileString,
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.constantFrom(
    '',
    '{',
    '{"channel":',
    'null',
    '[]',
    '"x"',
    '{"channel":"sms","payload":{"to":"+1415555010\\u0000"}}',
  ),
  fc
    .integer({ min: 256 * 1024, max: 400 * 1024 })
    .map((n) => `{"channel":"sms","payload":{"msg":"${'x'.repeat(n)}"}}`),
);

const request = fc.record({
  route: fc.integer({ min: 0, max: routes.length - 1 }),
  auth: fc.oneof(
    // Mostly valid keys, so most requests get past authentication into validation.
    { arbitrary: fc.integer({ min: 0, max: 2 }).map((i) => ({ kind: 'key' as const, i })), weight: 8 },
    hostileString.map((s) => ({ kind: 'raw' as const, s })),
    fc.constant({ kind: 'none' as const }),
    { arbitrary: fc.constant({ kind: 'admin' as const }), weight: 2 },
  ),
  contentType: fc.oneof(
    { arbitrary: fc.constant('application/json'), weight: 6 },
    fc.constantFrom(
      undefined,
      'text/plain',
      'application/json; charset=utf-8',
      'multipart/form-data',
      'application/x+json',
    ),
  ),
  body: fc.option(rawBody, { nil: undefined }),
  query: fc.array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom(
          'channel',
          'key',
          'state',
          'cursor',
          'limit',
          'since',
          'until',
          'subscription',
          'eventId',
        ),
        hostileString,
      ),
      hostileString,
    ),
    { maxLength: 4 },
  ),
  // Sometimes the id of a seeded row (delivery, alert, destination), so the body is read too.
  param: fc.oneof({ arbitrary: hostileString, weight: 3 }, fc.integer({ min: 1, max: 3 }).map(String)),
  idempotencyHeader: fc.option(hostileString, { nil: undefined }),
});

function headerSafe(s: string): string | undefined {
  // fetch refuses control characters and non-Latin-1 in header values before any route sees them.
  return /^[\x20-\x7e]*$/.test(s) ? s : undefined;
}

it('answers 5,000 hostile requests with 4xx (or success), never 5xx, and writes nothing when it refuses', async () => {
  let requests = 0;
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const route = routes[r.route]!;
      const headers = new Headers();
      if (r.auth.kind === 'key') headers.set('authorization', `Bearer ${tokens[r.auth.i]}`);
      if (r.auth.kind === 'raw') {
        const v = headerSafe(r.auth.s);
        if (v !== undefined) headers.set('authorization', v);
      }
      if (r.auth.kind === 'admin') {
        headers.set('cookie', adminCookie);
        headers.set('origin', ORIGIN);
      }
      if (r.contentType) headers.set('content-type', r.contentType);
      if (r.idempotencyHeader !== undefined) {
        const v = headerSafe(r.idempotencyHeader);
        if (v !== undefined) headers.set('idempotency-key', v);
      }
      const qs = new URLSearchParams(r.query).toString();
      const hasBody = route.method !== 'GET' && r.body !== undefined;
      const req = new Request(`http://localhost/api/v1/x${qs ? `?${qs}` : ''}`, {
        method: route.method,
        headers,
        body: hasBody ? r.body : undefined,
      });
      const before = await countRows(t);
      const res = await route.handler(req, {
        params: Promise.resolve(route.param ? { [route.param]: r.param } : {}),
      });
      const text = await res.text();
      requests++;
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect(res.status, `${route.name} answered ${res.status}: ${text.slice(0, 300)}`).toBeLessThan(500);
      const body = JSON.parse(text);
      if (res.status >= 400) {
        expect(typeof body.error?.code).toBe('string');
        expect(typeof body.error?.message).toBe('string');
        expect(await countRows(t)).toEqual(before);
      }
      if (res.status === 429) expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    }),
    { numRuns: 5_000, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 1e9) },
  );
  expect(requests).toBeGreaterThanOrEqual(5_000);
  console.log('statuses', Object.fromEntries([...statuses].sort()));
}, 600_000);
