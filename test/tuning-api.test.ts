import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tuningRoute from '../app/api/v1/subscriptions/[name]/tuning/route';
import { createPublisher } from '../lib/publish';
import { subscriptionsFor } from '../lib/subscriptions/define';
import type { Worker } from '../worker/worker';
import { type Answer, call, makeKey } from './api-helpers';
import { request, setupAuthDatabase } from './auth-helpers';
import { testChannels } from './fixtures/channels';
import { type TestDatabase, waitFor } from './helpers/db';
import { inProcessWorker } from './helpers/in-process-worker';
import { undocumented } from './helpers/openapi';
import { sessionCookieFor } from './helpers/session';

/**
 * GET and PATCH /api/v1/subscriptions/{name}/tuning (issue #21 item 4 over HTTP), attacked and
 * used: no key, a bad key, a read-only key and a viewer's session are refused before anything is
 * written; bad values get 422 at their field and write nothing; an operator's key changes the
 * concurrency of a running worker within seconds, audited as the console and the CLI are
 * (test/operation-policy.test.ts compares the answers and the audit entry with the Tune dialog's).
 * Every answer is checked against the OpenAPI document.
 */
const subscribe = subscriptionsFor(testChannels);
const { publishMany } = createPublisher(testChannels);
const HANDLER_MS = 150;
const PATH = '/api/v1/subscriptions/tuned/tuning';
const params = { name: 'tuned' };

let t: TestDatabase;
let worker: Worker;
let inFlight = 0;
const keys = { read: '', publish: '', operate: '' };
const cookies = { viewer: '', support: '', operator: '' };

beforeAll(async () => {
  t = await setupAuthDatabase();
  worker = inProcessWorker(t, [
    subscribe({
      name: 'tuned',
      channel: 'test.event',
      concurrency: 2,
      handler: async () => {
        inFlight++;
        await new Promise((r) => setTimeout(r, HANDLER_MS));
        inFlight--;
      },
    }),
  ]);
  await worker.start();
  keys.read = await makeKey(t, 'dashboards', ['read']);
  keys.publish = await makeKey(t, 'checkout', ['publish']);
  keys.operate = await makeKey(t, 'ops-script', ['read', 'operate']);
  for (const role of ['viewer', 'support', 'operator'] as const)
    cookies[role] = await sessionCookieFor(t, role, `${role}@example.com`);
});
afterAll(async () => {
  await worker?.stop();
  await t?.drop();
});

type Handler = typeof tuningRoute.PATCH;
/** Fails the test when an answer is not as the OpenAPI document describes it. */
function asDocumented(method: 'GET' | 'PATCH', answer: Answer): Answer {
  expect(undocumented('/api/v1/subscriptions/{name}/tuning', method, answer.status, answer.body)).toEqual([]);
  return answer;
}
/** A PATCH or GET with a session cookie, as the browser sends it. */
async function asUser(role: keyof typeof cookies, handler: Handler, body?: unknown): Promise<Answer> {
  const method = handler === tuningRoute.GET ? 'GET' : 'PATCH';
  const response = await handler(request(PATH, { method, body, headers: { cookie: cookies[role] } }), {
    params: Promise.resolve(params),
  });
  return asDocumented(method, {
    status: response.status,
    headers: response.headers,
    body: await response.json(),
  });
}
/** With an API key; `null`: none. */
const patch = async (body: unknown, token: string | null = keys.operate, name = 'tuned') =>
  asDocumented(
    'PATCH',
    await call(tuningRoute.PATCH, PATH, {
      method: 'PATCH',
      token: token ?? undefined,
      body,
      params: { name },
    }),
  );
const get = async (token: string | null = keys.read, name = 'tuned') =>
  asDocumented(
    'GET',
    await call(tuningRoute.GET, PATH, { method: 'GET', token: token ?? undefined, params: { name } }),
  );

const row = async () =>
  (
    await t.query(
      `SELECT concurrency, concurrency_override, rate_override, tuned_by FROM herald.subscriptions WHERE name = 'tuned'`,
    )
  )[0];
const audited = async () =>
  (
    await t.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM herald.audit_log WHERE action = 'subscription.tune'`,
    )
  )[0]!.n;
const untouched = { concurrency: 2, concurrency_override: null, rate_override: null, tuned_by: null };

describe('who may', () => {
  it('refuses no key, a bad key, a read-only key and viewers or support with 401 or 403; writes nothing', async () => {
    const anonymous = await patch({ concurrency: 50 }, null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await get(null)).status).toBe(401);
    expect((await patch({ concurrency: 50 }, 'hk_nope_not-a-real-secret')).status).toBe(401);
    const reader = await patch({ concurrency: 50 }, keys.read);
    expect(reader.status).toBe(403);
    expect(reader.body.error.code).toBe('forbidden');
    // Refused before the body is read: a forbidden caller learns nothing about the subscription.
    expect((await patch({ concurrency: 'many' }, keys.read, 'nope')).status).toBe(403);
    expect((await patch({ concurrency: 50 }, keys.publish)).status).toBe(403);
    expect((await get(keys.publish)).status).toBe(403);
    for (const role of ['viewer', 'support'] as const) {
      const refused = await asUser(role, tuningRoute.PATCH, { concurrency: 50 });
      expect({ role, status: refused.status, code: refused.body.error?.code }).toEqual({
        role,
        status: 403,
        code: 'forbidden',
      });
    }
    expect(await row()).toEqual(untouched);
    expect(await audited()).toBe(0);
  });

  it('lets anyone who may read see the tuning: declared, overrides and what is in force', async () => {
    for (const answer of [await get(keys.read), await asUser('viewer', tuningRoute.GET)]) {
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        name: 'tuned',
        concurrency: 2,
        ratePerSecond: null,
        declaredConcurrency: 2,
        declaredRatePerSecond: null,
        concurrencyOverride: null,
        rateOverride: null,
        tunedBy: null,
        tunedAt: null,
      });
    }
    const unknown = await get(keys.read, 'nope');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
  });
});

describe('what', () => {
  it('answers bad values with 422 at their field, bodies that are not JSON with 400 or 415; writes nothing', async () => {
    const cases: [unknown, string, RegExp?][] = [
      [{ concurrency: 'ten' }, 'concurrency', /expected number/],
      [{ concurrency: true }, 'concurrency'],
      [{ concurrency: 0 }, 'concurrency', /^an integer from 1 to 10000$/],
      [{ concurrency: 1.5 }, 'concurrency', /^an integer from 1 to 10000$/],
      [{ concurrency: 10_001 }, 'concurrency', /^an integer from 1 to 10000$/],
      [{ concurrency: 1e308 }, 'concurrency'],
      [{ ratePerSecond: -1 }, 'ratePerSecond', /up to 100000, or 0 for no limit/],
      [{ ratePerSecond: 1e9 }, 'ratePerSecond'],
      [{ ratePerSecond: '50' }, 'ratePerSecond'],
      [{}, 'concurrency', /give a concurrency, a rate, or both/],
      [{ concurrency: null, ratePerSecond: 'x' }, 'ratePerSecond'],
      [{ concurrency: 3, reason: 'x'.repeat(1001) }, 'reason'],
      [{ concurrency: 3, reason: 'a\u0000b' }, 'reason'],
      [{ concurrency: 3, workers: 9 }, '(root)', /workers/],
      [[3], '(root)'],
      [null, '(root)'],
    ];
    for (const [body, path, message] of cases) {
      const r = await patch(body);
      expect({ body, status: r.status, path: r.body.error?.details?.[0]?.path }).toEqual({
        body,
        status: 422,
        path,
      });
      if (message) expect(`${r.body.error.details[0].message}`).toMatch(message);
    }
    // Validation comes before existence (lib/operations/policy.ts): 422, then 404.
    expect((await patch({ concurrency: 0 }, keys.operate, 'nope')).status).toBe(422);
    expect((await patch({ concurrency: 3 }, keys.operate, 'nope')).status).toBe(404);
    const raw = async (body: string, contentType: string) =>
      asDocumented(
        'PATCH',
        await call(tuningRoute.PATCH, PATH, {
          method: 'PATCH',
          token: keys.operate,
          params,
          body,
          headers: { 'content-type': contentType },
        }),
      );
    expect((await raw('{"concurrency": 3', 'application/json')).status).toBe(400);
    expect((await raw('', 'application/json')).status).toBe(400);
    const form = await raw('concurrency=3', 'application/x-www-form-urlencoded');
    expect(form.status).toBe(415);
    expect(await row()).toEqual(untouched);
    expect(await audited()).toBe(0);
  });
});

describe('an operator through the API', () => {
  it('raises the concurrency of a running worker within 5 s, audited with the key as actor', async () => {
    await publishMany(
      t.db,
      Array.from({ length: 600 }, (_, n) => ({ channel: 'test.event' as const, payload: { n } })),
    );
    await waitFor('two handlers running', async () => inFlight === 2);
    const started = Date.now();
    const raised = await patch({ concurrency: 6, reason: 'provider raised our limit' });
    expect(raised.status).toBe(200);
    expect(raised.body).toMatchObject({
      name: 'tuned',
      concurrency: 6,
      declaredConcurrency: 2,
      concurrencyOverride: 6,
      rateOverride: null,
      tunedBy: 'api-key:ops-script',
      changed: true,
    });
    expect(new Date(raised.body.tunedAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    await waitFor('six handlers running', async () => inFlight === 6, 5_000);
    console.log(`concurrency 2 → 6 through PATCH …/tuning applied in ${Date.now() - started} ms`);

    expect(await row()).toEqual({
      concurrency: 2,
      concurrency_override: 6,
      rate_override: null,
      tuned_by: 'api-key:ops-script',
    });
    const [entry] = await t.query(
      `SELECT actor, action, target, reason, details FROM herald.audit_log WHERE action = 'subscription.tune'`,
    );
    expect(entry).toEqual({
      actor: 'api-key:ops-script',
      action: 'subscription.tune',
      target: 'subscription:tuned',
      reason: 'provider raised our limit',
      details: {
        before: { concurrency: 2, ratePerSecond: null },
        after: { concurrency: 6, ratePerSecond: null },
      },
    });
    expect((await get()).body).toMatchObject({
      concurrency: 6,
      declaredConcurrency: 2,
      concurrencyOverride: 6,
    });
  }, 30_000);

  it('takes 2,000 (the batched email lane default), a rate, and null back to the declared values', async () => {
    const lane = await asUser('operator', tuningRoute.PATCH, { concurrency: 2_000, ratePerSecond: 40 });
    expect(lane.status).toBe(200);
    expect(lane.body).toMatchObject({
      concurrency: 2_000,
      ratePerSecond: 40,
      tunedBy: 'user:operator@example.com',
      changed: true,
    });
    // Absent fields stay as they are; the same values again change and audit nothing.
    const same = await patch({ ratePerSecond: 40 });
    expect(same.body).toMatchObject({ concurrency: 2_000, ratePerSecond: 40, changed: false });
    const lifted = await patch({ ratePerSecond: 0 });
    expect(lifted.body).toMatchObject({ ratePerSecond: null, rateOverride: 0, changed: true });
    const back = await patch({ concurrency: null, ratePerSecond: null });
    expect(back.body).toMatchObject({
      concurrency: 2,
      ratePerSecond: null,
      concurrencyOverride: null,
      rateOverride: null,
      changed: true,
    });
    await waitFor('two handlers running again', async () => inFlight <= 2, 5_000);
    expect(await audited()).toBe(4);
  });
});
