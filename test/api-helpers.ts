import { createApiKey } from '../lib/auth/api-keys';
import type { ApiKeyScope } from '../lib/auth/principal';
import { createTestDatabase, type TestDatabase } from './helpers/db';

/**
 * Route tests call the exported handlers with real Requests against a real database: the
 * handlers use sharedDb(), so DATABASE_URL points at this file's cloned database before any
 * handler runs.
 */
export async function setupApiDatabase(): Promise<TestDatabase> {
  const t = await createTestDatabase();
  process.env.DATABASE_URL = t.url;
  await t.query(`INSERT INTO herald.subscriptions (name, channel_pattern)
                 VALUES ('sms-sender', 'sms'), ('order-mailer', 'order.*'), ('mailer', 'email.send')`);
  return t;
}

export async function makeKey(
  t: TestDatabase,
  name: string,
  scopes: ApiKeyScope[],
  publishChannels: string[] = scopes.includes('publish') ? ['*'] : [],
  rateLimitPerMinute = 1_000_000,
): Promise<string> {
  const { token } = await createApiKey(t.db, {
    name,
    scopes,
    publishChannels,
    rateLimitPerMinute,
    createdBy: 'test',
  });
  return token;
}

type Handler<P> = (request: Request, context: { params: Promise<P> }) => Promise<Response>;

export interface CallOptions<P> {
  method?: string;
  token?: string;
  /** An object is sent as JSON; a string or bytes as they are. */
  body?: unknown;
  headers?: Record<string, string>;
  params?: P;
  query?: string;
}

export interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests look into JSON answers freely
  body: any;
}

export async function call<P>(handler: Handler<P>, path: string, o: CallOptions<P> = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  let body: BodyInit | undefined;
  if (typeof o.body === 'string' || o.body instanceof Uint8Array) body = o.body as BodyInit;
  else if (o.body !== undefined) {
    body = JSON.stringify(o.body);
    headers['content-type'] ??= 'application/json';
  }
  const request = new Request(`http://localhost${path}${o.query ? `?${o.query}` : ''}`, {
    method: o.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    body,
  });
  const response = await handler(request, { params: Promise.resolve((o.params ?? {}) as P) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: response.status, headers: response.headers, body: parsed };
}

export async function countRows(t: TestDatabase): Promise<Record<string, number>> {
  const [row] = await t.query<Record<string, number>>(`SELECT
    (SELECT count(*)::int FROM herald.events) AS events,
    (SELECT count(*)::int FROM herald.deliveries) AS deliveries,
    (SELECT count(*)::int FROM herald.audit_log) AS audit,
    (SELECT count(*)::int FROM herald.api_keys) AS keys,
    (SELECT count(*)::int FROM herald.deliveries WHERE state = 'dead') AS dead,
    (SELECT count(*)::int FROM herald.subscriptions WHERE paused) AS paused,
    (SELECT count(*)::int FROM herald.subscriptions
      WHERE concurrency_override IS NOT NULL OR rate_override IS NOT NULL) AS tuned,
    (SELECT count(*)::int FROM herald.alert_rules) AS alert_rules,
    (SELECT count(*)::int FROM herald.alerts
      WHERE acknowledged_at IS NOT NULL OR silenced_until IS NOT NULL) AS alerts_handled,
    (SELECT count(*)::int FROM herald.alert_destinations) AS alert_destinations,
    (SELECT count(*)::int FROM herald.alert_messages) AS alert_messages`);
  return row!;
}
