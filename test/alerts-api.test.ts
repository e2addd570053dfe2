import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POST as acknowledgeRoute } from '../app/api/v1/alerts/[id]/acknowledge/route';
import { POST as silenceRoute } from '../app/api/v1/alerts/[id]/silence/route';
import { DELETE as removeRoute } from '../app/api/v1/alerts/destinations/[id]/route';
import { POST as testRoute } from '../app/api/v1/alerts/destinations/[id]/test/route';
import { POST as addRoute } from '../app/api/v1/alerts/destinations/route';
import { GET as listRoute } from '../app/api/v1/alerts/route';
import { PUT as ruleRoute } from '../app/api/v1/alerts/rules/route';
import { AlertSender } from '../lib/alerts/sender';
import { verifySignature } from '../lib/alerts/signing';
import type { Role } from '../lib/auth/principal';
import { request, setupAuthDatabase, userWithSession } from './auth-helpers';
import type { TestDatabase } from './helpers/db';
import { waitFor } from './helpers/db';
import { undocumented } from './helpers/openapi';

/**
 * The alerts API as each role uses it: operators acknowledge, silence, edit rules and send test
 * alerts; admins add and remove destinations; viewers read and see neither destination URLs nor
 * addresses, and nobody ever gets a signing secret back except once, when it is generated. Every
 * change lands in the audit log without URL or secret. A test alert goes out through the same
 * sender as real ones and arrives signed. Every answer, refusals included, is checked against
 * the OpenAPI document.
 */
let t: TestDatabase;
const sessions = {} as Record<Role, string>;
const SLACK_URL = 'https://hooks.slack.example/services/T000/B000/SECRETPATHxyz';
const received: { body: string; headers: http.IncomingHttpHeaders }[] = [];
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    received.push({ body, headers: req.headers });
    res.end('ok');
  });
});
let hookUrl = '';

// biome-ignore lint/suspicious/noExplicitAny: route handlers differ in their params type
type Handler = (r: Request, c: { params: Promise<any> }) => Promise<Response>;
/** Each handler's operation as the OpenAPI document names it. */
const operations = new Map<Handler, [string, string]>([
  [listRoute, ['GET', '/api/v1/alerts']],
  [acknowledgeRoute, ['POST', '/api/v1/alerts/{id}/acknowledge']],
  [silenceRoute, ['POST', '/api/v1/alerts/{id}/silence']],
  [ruleRoute, ['PUT', '/api/v1/alerts/rules']],
  [addRoute, ['POST', '/api/v1/alerts/destinations']],
  [removeRoute, ['DELETE', '/api/v1/alerts/destinations/{id}']],
  [testRoute, ['POST', '/api/v1/alerts/destinations/{id}/test']],
]);
async function as(
  role: Role,
  handler: Handler,
  path: string,
  init: { method?: string; body?: unknown; params?: Record<string, string> } = {},
) {
  const response = await handler(
    request(path, { method: init.method, body: init.body, headers: { cookie: sessions[role] } }),
    {
      params: Promise.resolve(init.params ?? {}),
    },
  );
  const text = await response.text();
  const answer = { status: response.status, text, body: text ? JSON.parse(text) : null };
  const [method, documentedPath] = operations.get(handler)!;
  expect(undocumented(documentedPath, method, answer.status, answer.body)).toEqual([]);
  return answer;
}

beforeAll(async () => {
  t = await setupAuthDatabase();
  for (const role of ['viewer', 'operator', 'admin'] as Role[])
    sessions[role] = await userWithSession(t, role);
  await t.query(`INSERT INTO herald.subscriptions (name, channel_pattern) VALUES ('mail', 'order.*')`);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await t?.drop();
});

describe('destinations', () => {
  let hookId = 0;
  let secret = '';

  it('admins add them; a webhook secret is generated and shown once', async () => {
    const slack = await as('admin', addRoute, '/api/v1/alerts/destinations', {
      body: { kind: 'slack', name: 'ops-slack', url: SLACK_URL },
    });
    expect(slack.status).toBe(201);
    const hook = await as('admin', addRoute, '/api/v1/alerts/destinations', {
      body: { kind: 'webhook', name: 'pager', url: hookUrl },
    });
    expect(hook.status).toBe(201);
    expect(hook.body.secret).toMatch(/^whsec_/);
    hookId = hook.body.id;
    secret = hook.body.secret;
    const bad = await as('admin', addRoute, '/api/v1/alerts/destinations', {
      body: { kind: 'email', name: 'team', emails: ['not an address'] },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details[0].path).toBe('emails.0');
    const operator = await as('operator', addRoute, '/api/v1/alerts/destinations', {
      body: { kind: 'slack', name: 'sneaky', url: 'https://evil.example/' },
    });
    expect(operator.status).toBe(403);
  });

  it('viewers and operators see no URL; nobody sees a secret again; the audit log keeps neither', async () => {
    for (const role of ['viewer', 'operator'] as Role[]) {
      const list = await as(role, listRoute, '/api/v1/alerts');
      expect(list.status).toBe(200);
      expect(list.body.destinations.map((d: { name: string }) => d.name)).toEqual(['ops-slack', 'pager']);
      expect(list.text).not.toContain('SECRETPATH');
      expect(list.text).not.toContain(hookUrl);
      expect(list.text).not.toContain(secret);
    }
    const admin = await as('admin', listRoute, '/api/v1/alerts');
    expect(admin.text).toContain('SECRETPATH');
    expect(admin.text).not.toContain(secret);
    const audit = await t.query<{ action: string; text: string }>(
      `SELECT action, concat_ws(' ', target, reason, details::text) AS text FROM herald.audit_log WHERE action LIKE 'alert.%'`,
    );
    expect(audit.map((a) => a.action)).toEqual(['alert.destination_add', 'alert.destination_add']);
    for (const a of audit) {
      expect(a.text).not.toContain('SECRETPATH');
      expect(a.text).not.toContain(secret);
    }
  });

  it('operators send a test alert; a worker sends it signed through the alert sender', async () => {
    expect(
      (
        await as('viewer', testRoute, `/api/v1/alerts/destinations/${hookId}/test`, {
          params: { id: String(hookId) },
        })
      ).status,
    ).toBe(403);
    const queued = await as('operator', testRoute, `/api/v1/alerts/destinations/${hookId}/test`, {
      params: { id: String(hookId) },
    });
    expect(queued.status).toBe(202);
    const sender = new AlertSender({
      pool: t.pool,
      log: pino({ level: 'silent' }),
      transport: {
        timeoutMs: 3_000,
        email: () => {
          throw new Error('no email here');
        },
      },
    });
    await sender.tick();
    await sender.idle();
    const got = await waitFor('the test alert', async () => received[0]);
    expect(JSON.parse(got.body)).toMatchObject({ event: 'test', kind: 'test' });
    expect(
      verifySignature(
        secret,
        {
          id: String(got.headers['webhook-id']),
          timestamp: String(got.headers['webhook-timestamp']),
          signature: String(got.headers['webhook-signature']),
        },
        got.body,
      ),
    ).toBe(true);
    const [row] = await t.query<{ state: string }>(`SELECT state FROM herald.alert_messages WHERE id = $1`, [
      queued.body.message,
    ]);
    expect(row?.state).toBe('sent');
  });

  it('admins remove them; destinations from the environment are changed there', async () => {
    const [env] = await t.query<{ id: number }>(
      `INSERT INTO herald.alert_destinations (name, kind, url, from_env) VALUES ('env:slack', 'slack', 'https://x.example/', true) RETURNING id::int`,
    );
    const refused = await as('admin', removeRoute, '/x', {
      method: 'DELETE',
      params: { id: String(env?.id) },
    });
    expect(refused.status).toBe(409);
    expect(
      (await as('operator', removeRoute, '/x', { method: 'DELETE', params: { id: String(hookId) } })).status,
    ).toBe(403);
    expect(
      (await as('admin', removeRoute, '/x', { method: 'DELETE', params: { id: String(hookId) } })).status,
    ).toBe(200);
  });
});

describe('rules', () => {
  it('operators change thresholds, per subscription or for all; bad input gets the field', async () => {
    const global = await as('operator', ruleRoute, '/api/v1/alerts/rules', {
      method: 'PUT',
      body: { kind: 'failure_rate', threshold: 35, reason: 'noisy provider' },
    });
    expect(global.status).toBe(200);
    expect(global.body).toMatchObject({
      kind: 'failure_rate',
      subscription: '',
      threshold: 35,
      minCount: 20,
    });
    const own = await as('operator', ruleRoute, '/api/v1/alerts/rules', {
      method: 'PUT',
      body: { kind: 'failure_rate', subscription: 'mail', minCount: 5 },
    });
    expect(own.body).toMatchObject({ subscription: 'mail', threshold: 35, minCount: 5 });
    const tooHigh = await as('operator', ruleRoute, '/x', {
      method: 'PUT',
      body: { kind: 'failure_rate', threshold: 150 },
    });
    expect(tooHigh.status).toBe(422);
    expect(tooHigh.body.error.details[0].path).toBe('threshold');
    const unknown = await as('operator', ruleRoute, '/x', {
      method: 'PUT',
      body: { kind: 'stall', subscription: 'nobody' },
    });
    expect(unknown.status).toBe(404);
    expect(
      (await as('viewer', ruleRoute, '/x', { method: 'PUT', body: { kind: 'stall', windowSeconds: 1 } }))
        .status,
    ).toBe(403);
    const [audit] = await t.query<{
      actor: string;
      reason: string;
      details: { after: { threshold: number } };
    }>(
      `SELECT actor, reason, details FROM herald.audit_log WHERE action = 'alert.rule_set' ORDER BY id LIMIT 1`,
    );
    expect(audit).toMatchObject({ actor: 'user:operator@example.com', reason: 'noisy provider' });
    expect(audit?.details.after.threshold).toBe(35);
  });
});

describe('alerts', () => {
  it('operators acknowledge and silence; viewers cannot; a resolved alert cannot be acknowledged', async () => {
    const [rule] = await t.query<{ id: number }>(
      `SELECT id::int FROM herald.alert_rules WHERE kind = 'failure_rate' AND subscription = 'mail'`,
    );
    const [firing] = await t.query<{ id: number }>(
      `INSERT INTO herald.alerts (rule_id, kind, subscription, severity, summary) VALUES ($1, 'failure_rate', 'mail', 'warning', 'x') RETURNING id::int`,
      [rule?.id],
    );
    const id = String(firing?.id);
    expect((await as('viewer', acknowledgeRoute, '/x', { params: { id } })).status).toBe(403);
    expect((await as('viewer', silenceRoute, '/x', { params: { id }, body: { minutes: 60 } })).status).toBe(
      403,
    );
    expect((await as('operator', acknowledgeRoute, '/x', { params: { id } })).body).toEqual({
      id: firing?.id,
      changed: true,
    });
    expect((await as('operator', acknowledgeRoute, '/x', { params: { id } })).body.changed).toBe(false);
    const silenced = await as('operator', silenceRoute, '/x', {
      params: { id },
      body: { minutes: 60, reason: 'known' },
    });
    expect(silenced.status).toBe(200);
    // RFC 3339 like every time the API answers (it was PostgreSQL's text, "2026-12-03 11:20:00+00").
    expect(silenced.body.silencedUntil).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(new Date(silenced.body.silencedUntil).getTime()).toBeGreaterThan(Date.now() + 59 * 60_000);
    expect((await as('operator', silenceRoute, '/x', { params: { id }, body: { minutes: -1 } })).status).toBe(
      422,
    );
    await t.query(`UPDATE herald.alerts SET state = 'resolved', resolved_at = now()`);
    expect((await as('operator', acknowledgeRoute, '/x', { params: { id } })).status).toBe(409);
    expect((await as('operator', acknowledgeRoute, '/x', { params: { id: '999999' } })).status).toBe(404);
    const actions = await t.query<{ action: string }>(
      `SELECT action FROM herald.audit_log WHERE target = $1 ORDER BY id`,
      [`alert:${id}`],
    );
    expect(actions.map((a) => a.action)).toEqual(['alert.acknowledge', 'alert.silence']);
    // The list with an alert, rules and a destination that has sent: as the document describes it.
    for (const role of ['viewer', 'admin'] as Role[]) {
      const list = await as(role, listRoute, '/api/v1/alerts');
      expect(list.body.alerts).toMatchObject([
        { id: firing?.id, state: 'resolved', acknowledgedBy: 'user:operator@example.com' },
      ]);
      expect(list.body.rules.length).toBeGreaterThan(0);
    }
  });
});

describe('refusals', () => {
  it('a body that is not an object is refused at (root), as on every other route', async () => {
    for (const [role, handler, method] of [
      ['operator', acknowledgeRoute, 'POST'],
      ['operator', silenceRoute, 'POST'],
      ['operator', ruleRoute, 'PUT'],
      ['admin', addRoute, 'POST'],
    ] as const) {
      for (const body of [[], 'x', 42]) {
        const refused = await as(role, handler, '/x', { method, params: { id: '1' }, body });
        expect(refused.status, `${operations.get(handler)?.[1]} ${JSON.stringify(body)}`).toBe(422);
        expect(refused.body.error).toMatchObject({
          code: 'invalid_request',
          details: [{ path: '(root)', message: expect.stringMatching(/expected object/) }],
        });
      }
    }
  });
});
