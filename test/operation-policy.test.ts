import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Role } from '../lib/auth/principal';
import type { ErrorCode } from '../lib/errors';
import { makeKey } from './api-helpers';
import { request, setupAuthDatabase } from './auth-helpers';
import type { TestDatabase } from './helpers/db';
import { sessionCookieFor } from './helpers/session';

/**
 * Issue #19 item 3: each operation answers the same through the HTTP API and through the
 * dashboard's server action, for the same person — missing reason, empty filter, unknown id or
 * name, wrong role, out-of-range value. The policy lives in lib/operations/ (single-delivery.ts,
 * bulk-dead.ts, subscriptions.ts, tuning.ts); routes and actions only adapt, and this table holds
 * them to it.
 */
const nav = vi.hoisted(() => ({ headers: new Headers() }));
vi.mock('next/headers', () => ({
  headers: async () => nav.headers,
  cookies: async () => ({ get: () => undefined, getAll: () => [], has: () => false }),
}));
vi.mock('next/cache', () => ({ revalidatePath: () => undefined }));

type Route<P> = (r: Request, c: { params: Promise<P> }) => Promise<Response>;
/** What both ways in answered, reduced to what must agree. */
type Answer = { code: ErrorCode | 'ok'; field?: string };

let t: TestDatabase;
const cookies = {} as Record<Role, string>;
let routes: {
  replay: Route<{ id: string }>;
  retry: Route<{ id: string }>;
  discard: Route<{ id: string }>;
  bulk: Route<Record<string, never>>;
  pause: Route<{ name: string }>;
  resume: Route<{ name: string }>;
  tuning: Route<{ name: string }>;
};
let actions: {
  deliveryAction: typeof import('../app/_components/timeline/actions').deliveryAction;
  bulkAction: typeof import('../app/_components/dlq/actions').bulkAction;
  countMatching: typeof import('../app/_components/dlq/actions').countMatching;
  setPaused: typeof import('../app/subscriptions/actions').setPaused;
  setTuning: typeof import('../app/subscriptions/tuning-actions').setTuning;
};

beforeAll(async () => {
  t = await setupAuthDatabase();
  await t.query(`INSERT INTO herald.subscriptions (name, channel_pattern) VALUES ('policy', 'sms')`);
  for (const role of ['viewer', 'support', 'operator'] as const)
    cookies[role] = await sessionCookieFor(t, role, `${role}@example.com`);
  routes = {
    replay: (await import('../app/api/v1/deliveries/[id]/replay/route')).POST,
    retry: (await import('../app/api/v1/deliveries/[id]/retry/route')).POST,
    discard: (await import('../app/api/v1/deliveries/[id]/discard/route')).POST,
    bulk: (await import('../app/api/v1/deliveries/replay/route')).POST,
    pause: (await import('../app/api/v1/subscriptions/[name]/pause/route')).POST,
    resume: (await import('../app/api/v1/subscriptions/[name]/resume/route')).POST,
    tuning: (await import('../app/api/v1/subscriptions/[name]/tuning/route')).PATCH,
  };
  const dlq = await import('../app/_components/dlq/actions');
  actions = {
    deliveryAction: (await import('../app/_components/timeline/actions')).deliveryAction,
    bulkAction: dlq.bulkAction,
    countMatching: dlq.countMatching,
    setPaused: (await import('../app/subscriptions/actions')).setPaused,
    setTuning: (await import('../app/subscriptions/tuning-actions')).setTuning,
  };
});
afterAll(() => t?.drop());

/** A dead delivery of its own, or one waiting for a retry (`pending`, later). */
async function delivery(state: 'dead' | 'waiting' = 'dead'): Promise<number> {
  const [e] = await t.query<{ id: number }>(`SELECT herald.publish('sms', '{"to": "+14155550100"}') AS id`);
  const [d] = await t.query<{ id: number }>(
    state === 'dead'
      ? `UPDATE herald.deliveries SET state = 'dead', finished_at = now(), last_error = 'provider said no'
         WHERE event_id = $1 RETURNING id`
      : `UPDATE herald.deliveries SET attempts = 1, run_at = now() + interval '1 hour' WHERE event_id = $1 RETURNING id`,
    [e!.id],
  );
  return d!.id;
}
const stateOf = async (id: number) =>
  (await t.query<{ state: string }>('SELECT state FROM herald.deliveries WHERE id = $1', [id]))[0]?.state;
const paused = async () =>
  (await t.query<{ paused: boolean }>(`SELECT paused FROM herald.subscriptions WHERE name = 'policy'`))[0]!
    .paused;

const STATUS: Record<Answer['code'], number> = {
  ok: 200,
  invalid_request: 422,
  not_found: 404,
  conflict: 409,
  forbidden: 403,
  unauthorized: 401,
  unknown_channel: 422,
  invalid_payload: 422,
  read_timeout: 503,
  too_many_reads: 429,
};

async function viaApi<P>(
  route: Route<P>,
  who: Role,
  params: P,
  body: unknown,
  method = 'POST',
): Promise<Answer> {
  const response = await route(request('/api/v1/x', { method, body, headers: { cookie: cookies[who] } }), {
    params: Promise.resolve(params),
  });
  const json = (await response.json()) as { error?: { code: ErrorCode; details?: { path: string }[] } };
  const answer: Answer = { code: json.error?.code ?? 'ok' };
  const field = json.error?.details?.[0]?.path;
  if (field && field !== '(root)') answer.field = field;
  expect(response.status, `status for ${answer.code}`).toBe(STATUS[answer.code]);
  return answer;
}

async function viaAction(
  who: Role,
  run: () => Promise<{ ok: true } | { ok: false; code: ErrorCode; field?: string }>,
): Promise<Answer> {
  nav.headers = new Headers({ cookie: cookies[who] });
  const r = await run();
  return r.ok ? { code: 'ok' } : { code: r.code, ...(r.field ? { field: r.field } : {}) };
}

interface Case {
  name: string;
  who: Role;
  expected: Answer;
  /** A fresh target per way in, so a success through one does not change the other's. */
  target: () => Promise<number>;
  api: (id: number) => Promise<Answer>;
  action: (id: number) => Promise<Answer>;
  /** What must hold afterwards (refusals change nothing). */
  after?: (id: number) => Promise<void>;
}

const single = (
  kind: 'replay' | 'retry' | 'discard',
  who: Role,
  reason: string | undefined,
  expected: Answer,
  target: () => Promise<number> = () => delivery(kind === 'retry' ? 'waiting' : 'dead'),
): Case => ({
  name: `${kind} one delivery as ${who} ${reason === undefined ? 'without a reason' : 'with a reason'}`,
  who,
  expected,
  target,
  api: (id) => viaApi(routes[kind], who, { id: String(id) }, reason === undefined ? {} : { reason }),
  action: (id) => viaAction(who, () => actions.deliveryAction(kind, id, reason ?? '')),
  after:
    expected.code === 'ok'
      ? undefined
      : async (id) => {
          if (id < 9_000_000) expect(await stateOf(id)).toBe(kind === 'retry' ? 'pending' : 'dead');
        },
});

const bulk = (
  name: string,
  who: Role,
  filter: Record<string, unknown>,
  expected: Answer,
  target: () => Promise<number> = () => delivery('dead'),
): Case => ({
  name: `bulk replay ${name} as ${who}`,
  who,
  expected,
  target,
  api: (id) => viaApi(routes.bulk, who, {}, { ...filter, ...(filter.ids ? { ids: [id] } : {}) }),
  action: (id) =>
    viaAction(who, () =>
      actions.bulkAction('replay', { ...filter, ...(filter.ids ? { ids: [id] } : {}) } as never, ''),
    ),
  after:
    expected.code === 'ok'
      ? undefined
      : async (id) => {
          expect(await stateOf(id)).toBe('dead');
        },
});

const pausing = (
  pause: boolean,
  who: Role,
  name: string,
  reason: string | undefined,
  expected: Answer,
): Case => ({
  name: `${pause ? 'pause' : 'resume'} ${name} as ${who} ${reason === undefined ? 'without a reason' : 'with a reason'}`,
  who,
  expected,
  target: async () => {
    // Start from the other state, so that a success changes something.
    await t.query(`UPDATE herald.subscriptions SET paused = $1 WHERE name = 'policy'`, [!pause]);
    return 0;
  },
  api: () =>
    viaApi(pause ? routes.pause : routes.resume, who, { name }, reason === undefined ? {} : { reason }),
  action: () => viaAction(who, () => actions.setPaused(name, pause, reason ?? '')),
  after:
    expected.code === 'ok'
      ? async () => expect(await paused()).toBe(pause)
      : async () => expect(await paused()).toBe(!pause),
});

const overrides = async () =>
  (
    await t.query<{ concurrency: number | null; rate: number | null }>(
      `SELECT concurrency_override AS concurrency, rate_override AS rate FROM herald.subscriptions WHERE name = 'policy'`,
    )
  )[0]!;
const untune = () =>
  t.query(
    `UPDATE herald.subscriptions SET concurrency_override = NULL, rate_override = NULL WHERE name = 'policy'`,
  );

/** The Tune dialog sends text (blank: as declared); the API numbers or null. */
const tuning = (who: Role, name: string, concurrency: string, rate: string, expected: Answer): Case => {
  const value = (text: string) => (text === '' ? null : Number(text));
  return {
    name: `tune ${name} to concurrency "${concurrency}", rate "${rate}" as ${who}`,
    who,
    expected,
    target: async () => {
      await untune();
      return 0;
    },
    api: () =>
      viaApi(
        routes.tuning,
        who,
        { name },
        { concurrency: value(concurrency), ratePerSecond: value(rate) },
        'PATCH',
      ),
    action: () => viaAction(who, () => actions.setTuning(name, concurrency, rate, '')),
    after: async () =>
      expect(await overrides()).toEqual(
        expected.code === 'ok' && name === 'policy'
          ? { concurrency: value(concurrency), rate: value(rate) }
          : { concurrency: null, rate: null },
      ),
  };
};

const UNKNOWN = async () => 99_999_999;
const ok: Answer = { code: 'ok' };
const reasonMissing: Answer = { code: 'invalid_request', field: 'reason' };
const forbidden: Answer = { code: 'forbidden' };
const notFound: Answer = { code: 'not_found' };
const emptyFilter: Answer = { code: 'invalid_request' };

const cases: Case[] = [
  // Missing reason: support must give one for a delivery; everyone must to pause.
  single('replay', 'support', undefined, reasonMissing),
  single('retry', 'support', undefined, reasonMissing),
  single('replay', 'support', '   ', reasonMissing),
  single('replay', 'support', 'customer called', ok),
  single('replay', 'operator', undefined, ok),
  single('discard', 'operator', undefined, ok),
  pausing(true, 'operator', 'policy', undefined, reasonMissing),
  pausing(true, 'operator', 'policy', ' ', reasonMissing),
  pausing(true, 'operator', 'policy', 'provider down', ok),
  pausing(false, 'operator', 'policy', undefined, ok),
  // Empty filter: nothing, blank text, and `until` alone are all "everything".
  bulk('with no filter', 'operator', {}, emptyFilter),
  bulk('with only until', 'operator', { until: new Date().toISOString() }, emptyFilter),
  bulk('with a blank subscription', 'operator', { subscription: ' ' }, emptyFilter),
  bulk('by id', 'operator', { ids: [0] }, ok),
  bulk(
    'by subscription and until',
    'operator',
    { subscription: 'nope', until: new Date().toISOString() },
    ok,
  ),
  // Unknown id or name.
  single('replay', 'operator', 'x', notFound, UNKNOWN),
  single('retry', 'operator', 'x', notFound, UNKNOWN),
  single('discard', 'operator', 'x', notFound, UNKNOWN),
  pausing(true, 'operator', 'no-such-subscription', 'x', notFound),
  pausing(false, 'operator', 'no-such-subscription', 'x', notFound),
  tuning('operator', 'no-such-subscription', '20', '', notFound),
  // Wrong role.
  single('replay', 'viewer', 'x', forbidden),
  single('retry', 'viewer', 'x', forbidden),
  single('discard', 'support', 'duplicate', forbidden),
  bulk('by subscription', 'support', { subscription: 'policy' }, forbidden),
  pausing(true, 'support', 'policy', 'x', forbidden),
  pausing(false, 'viewer', 'policy', 'x', forbidden),
  tuning('viewer', 'policy', '20', '', forbidden),
  tuning('support', 'policy', '20', '30', forbidden),
  // Tuning: up to 10,000 at once (the batched email lane's default is 2,000), a rate of 0 or more.
  tuning('operator', 'policy', '2000', '30', ok),
  tuning('operator', 'policy', '10000', '0', ok),
  tuning('operator', 'policy', '10001', '', { code: 'invalid_request', field: 'concurrency' }),
  tuning('operator', 'policy', '0', '', { code: 'invalid_request', field: 'concurrency' }),
  tuning('operator', 'policy', '', '-3', { code: 'invalid_request', field: 'ratePerSecond' }),
  // Wrong role wins over everything else that is wrong.
  single('discard', 'support', undefined, forbidden, UNKNOWN),
  bulk('with no filter', 'support', {}, forbidden),
  tuning('viewer', 'no-such-subscription', '0', '', forbidden),
];

describe('the API and the dashboard give the same answer', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const apiTarget = await c.target();
    const api = await c.api(apiTarget);
    await c.after?.(apiTarget);
    const actionTarget = await c.target();
    const action = await c.action(actionTarget);
    await c.after?.(actionTarget);
    expect({ api, action }).toEqual({ api: c.expected, action: c.expected });
  });
});

describe('details of the shared policy', () => {
  it('a bulk count refuses what the bulk action refuses', async () => {
    nav.headers = new Headers({ cookie: cookies.operator });
    expect(await actions.countMatching({ until: new Date().toISOString() })).toBeNull();
    const dry = await viaApi(routes.bulk, 'operator', {}, { until: new Date().toISOString(), dryRun: true });
    expect(dry).toEqual(emptyFilter);
    expect(await actions.countMatching({ subscription: 'policy' })).toBeGreaterThan(0);
  });

  it('an API key with operate also needs a reason to pause (422 at reason)', async () => {
    const key = await makeKey(t, 'ops-script', ['operate']);
    await t.query(`UPDATE herald.subscriptions SET paused = false WHERE name = 'policy'`);
    const response = await routes.pause(
      new Request('http://localhost/api/v1/subscriptions/policy/pause', {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: '{}',
      }),
      { params: Promise.resolve({ name: 'policy' }) },
    );
    expect(response.status).toBe(422);
    expect((await response.json()).error.details).toEqual([{ path: 'reason', message: 'required' }]);
    expect(await paused()).toBe(false);
  });

  it('records the reason in the audit log the same way from both', async () => {
    const a = await delivery();
    const b = await delivery();
    await viaApi(routes.replay, 'support', { id: String(a) }, { reason: '  from the API  ' });
    await viaAction('support', () => actions.deliveryAction('replay', b, '  from the dashboard  '));
    const rows = await t.query<{ target: string; actor: string; reason: string }>(
      `SELECT target, actor, reason FROM herald.audit_log WHERE target IN ($1, $2) ORDER BY id`,
      [`delivery:${a}`, `delivery:${b}`],
    );
    expect(rows).toEqual([
      { target: `delivery:${a}`, actor: 'user:support@example.com', reason: 'from the API' },
      { target: `delivery:${b}`, actor: 'user:support@example.com', reason: 'from the dashboard' },
    ]);
  });

  it('records a tuning in the audit log the same way from both', async () => {
    const last = async () =>
      (
        await t.query(
          `SELECT actor, action, target, reason, details FROM herald.audit_log ORDER BY id DESC LIMIT 1`,
        )
      )[0];
    await untune();
    expect(
      await viaApi(
        routes.tuning,
        'operator',
        { name: 'policy' },
        { concurrency: 7, ratePerSecond: null, reason: '  provider raised our limit  ' },
        'PATCH',
      ),
    ).toEqual(ok);
    const fromApi = await last();
    await untune();
    expect(
      await viaAction('operator', () =>
        actions.setTuning('policy', '7', '', '  provider raised our limit  '),
      ),
    ).toEqual(ok);
    const fromDashboard = await last();
    expect(fromApi).toEqual({
      actor: 'user:operator@example.com',
      action: 'subscription.tune',
      target: 'subscription:policy',
      reason: 'provider raised our limit',
      details: {
        before: { concurrency: 10, ratePerSecond: null },
        after: { concurrency: 7, ratePerSecond: null },
      },
    });
    expect(fromDashboard).toEqual(fromApi);
  });

  it('a signed-out dashboard gets unauthorized, like the API', async () => {
    nav.headers = new Headers();
    const r = await actions.setPaused('policy', true, 'x');
    expect(r).toMatchObject({ ok: false, code: 'unauthorized' });
  });
});
