import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../lib/http/openapi';
import { projectRoot } from './helpers/cli';

/**
 * Every route handler under app/api/v1 is in the OpenAPI document (/api/v1/openapi.json,
 * /api-docs), method by method, unless it is listed below with the reason it is not part of the
 * HTTP API; and the document names no route that does not exist. A route added without its
 * documentation fails here, and so does an entry below that has become stale.
 */
const NOT_IN_THE_API: Record<string, string> = {
  'GET /api/v1/openapi.json': 'the document itself',
  'POST /api/v1/webhooks/postmark': "Postmark's delivery and bounce webhook; Postmark defines its body",
  'GET /api/v1/stream': "the console's live updates (server-sent events), shaped for its pages",
  'GET /api/v1/feed': "the console's Live page",
  'GET /api/v1/overview': "the console's Overview page",
  'GET /api/v1/sandbox': "the console's email sandbox (a development stand-in for Postmark)",
  'PATCH /api/v1/sandbox': "the console's email sandbox controls",
};

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

function routeFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return routeFiles(full);
    return e.name === 'route.ts' ? [full] : [];
  });
}

/** `app/api/v1/alerts/[id]/silence/route.ts` → `/api/v1/alerts/{id}/silence`, as OpenAPI writes paths. */
function apiPath(file: string): string {
  const dir = path.relative(path.join(projectRoot, 'app'), path.dirname(file));
  return `/${dir.split(path.sep).join('/')}`.replace(/\[(\w+)\]/g, '{$1}');
}

async function handlers(): Promise<string[]> {
  const found: string[] = [];
  for (const file of routeFiles(path.join(projectRoot, 'app', 'api', 'v1'))) {
    const mod: Record<string, unknown> = await import(file);
    for (const method of METHODS)
      if (typeof mod[method] === 'function') found.push(`${method} ${apiPath(file)}`);
  }
  return found.sort();
}

function documented(): string[] {
  const paths = openApiDocument().paths as Record<string, Record<string, unknown>>;
  return Object.entries(paths)
    .flatMap(([p, operations]) =>
      Object.keys(operations)
        .filter((m) => (METHODS as readonly string[]).includes(m.toUpperCase()))
        .map((m) => `${m.toUpperCase()} ${p}`),
    )
    .sort();
}

describe('the OpenAPI document', () => {
  it('describes every route handler under app/api/v1, method by method', async () => {
    const all = await handlers();
    expect(all.length).toBeGreaterThan(25);
    const missing = all.filter((h) => !documented().includes(h) && !(h in NOT_IN_THE_API));
    expect(missing, 'route handlers missing from lib/http/openapi.ts').toEqual([]);
  });

  it('names no route or method that does not exist', async () => {
    const all = await handlers();
    expect(documented().filter((d) => !all.includes(d))).toEqual([]);
  });

  it('leaves out exactly the routes listed here, each with its reason', async () => {
    const all = await handlers();
    for (const [route, reason] of Object.entries(NOT_IN_THE_API)) {
      expect(all, `${route} (listed as not in the API) exists`).toContain(route);
      expect(documented(), `${route} is listed as not in the API: remove it from the list`).not.toContain(
        route,
      );
      expect(reason.length).toBeGreaterThan(5);
    }
  });

  it('gives every operation an id, a summary and its answers', () => {
    const paths = openApiDocument().paths as Record<
      string,
      Record<string, { operationId?: string; summary?: string; responses?: Record<string, unknown> }>
    >;
    const ids = new Set<string>();
    for (const [p, operations] of Object.entries(paths))
      for (const [method, op] of Object.entries(operations)) {
        const where = `${method.toUpperCase()} ${p}`;
        expect(op.operationId, where).toMatch(/^[a-z][A-Za-z]+$/);
        expect(ids.has(op.operationId!), `${where}: operationId ${op.operationId} is used twice`).toBe(false);
        ids.add(op.operationId!);
        expect(op.summary, where).toBeTruthy();
        const statuses = Object.keys(op.responses ?? {});
        expect(
          statuses.some((s) => /^2\d\d$/.test(s)),
          `${where} has a success answer`,
        ).toBe(true);
        expect(statuses, `${where} documents 401`).toContain('401');
      }
  });
});
