import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import createClient from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as eventById from '../app/api/v1/events/[id]/route';
import * as batchRoute from '../app/api/v1/events/batch/route';
import * as eventsRoute from '../app/api/v1/events/route';
import * as openapiRoute from '../app/api/v1/openapi.json/route';
import type { paths } from '../lib/http/openapi-types';
import { generateOpenApiTypes, OPENAPI_TYPES_FILE } from '../scripts/cli/openapi-types';
import { makeKey, setupApiDatabase } from './api-helpers';
import type { TestDatabase } from './helpers/db';

let t: TestDatabase;
let key: string;

beforeAll(async () => {
  t = await setupApiDatabase();
  key = await makeKey(t, 'client', ['publish', 'read']);
});
afterAll(() => t?.drop());

type Handler = (request: Request, context: { params: Promise<Record<string, string>> }) => Promise<Response>;

/** Routes the typed client's requests to the route handlers, as Next.js would. */
const table: [RegExp, string, Handler][] = [
  [/^\/api\/v1\/events$/, 'POST', eventsRoute.POST as Handler],
  [/^\/api\/v1\/events$/, 'GET', eventsRoute.GET as Handler],
  [/^\/api\/v1\/events\/batch$/, 'POST', batchRoute.POST as Handler],
  [/^\/api\/v1\/events\/(?<id>[^/]+)$/, 'GET', eventById.GET as Handler],
];
async function dispatch(request: Request): Promise<Response> {
  const { pathname } = new URL(request.url);
  for (const [pattern, method, handler] of table) {
    const m = pattern.exec(pathname);
    if (m && request.method === method) return handler(request, { params: Promise.resolve({ ...m.groups }) });
  }
  return new Response('no route', { status: 404 });
}

describe('OpenAPI', () => {
  it('serves a valid OpenAPI 3.1 document', async () => {
    const res = await openapiRoute.GET();
    const doc = await res.json();
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/events', '/api/v1/events/batch', '/api/v1/deliveries/replay']),
    );
  });

  it('has committed client types that match the document (npm run api:types)', async () => {
    expect(await generateOpenApiTypes()).toBe(readFileSync(OPENAPI_TYPES_FILE, 'utf8'));
  });

  it('lets a typed client generated from it publish and read back', async () => {
    const client = createClient<paths>({ baseUrl: 'http://localhost', fetch: dispatch });
    const headers = { authorization: `Bearer ${key}` };
    const published = await client.POST('/api/v1/events', {
      headers,
      body: { channel: 'sms', payload: { to: '+14155550100', msg: 'typed' }, key: 'typed-1' },
    });
    expect(published.response.status).toBe(201);
    expect(published.data?.deliveries[0]?.subscription).toBe('sms-sender');
    const id = published.data!.id;
    const read = await client.GET('/api/v1/events/{id}', { headers, params: { path: { id: String(id) } } });
    expect(read.data?.key).toBe('typed-1');
    const list = await client.GET('/api/v1/events', { headers, params: { query: { key: 'typed-1' } } });
    expect(list.data?.items.map((e) => e.id)).toEqual([id]);
    // The generated types refuse this payload at compile time; the server refuses it at run time.
    const bad = await client.POST('/api/v1/events', {
      headers,
      // @ts-expect-error msg is missing
      body: { channel: 'sms', payload: { to: 'x' } },
    });
    expect(bad.response.status).toBe(422);
    expect(bad.error?.error.details?.map((d) => d.path)).toContain('payload.to');
  });
});
