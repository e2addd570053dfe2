import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Access, type HttpMethod, pageAccess, routeAccess } from '../lib/auth/access';
import { type Role, rolePermissions, roles } from '../lib/auth/principal';
import { cookiesOf, request, setupAuthDatabase, signInAs, userWithSession } from './auth-helpers';
import { projectRoot } from './helpers/cli';
import type { TestDatabase } from './helpers/db';

/**
 * Every page.tsx and route.ts under app/, found on disk, is called for real: anonymously and as
 * each role. A file missing from lib/auth/access.ts fails here, and so does one that lets in
 * someone its entry does not, or refuses someone it does. Public entries must also be listed
 * below, each with its reason, so "public" is never the quiet default.
 */
const PUBLIC_ROUTES: Record<string, string> = {
  '/api/health': 'probes and the start command',
  '/api/v1/webhooks/postmark': 'Postmark signs in with HTTP basic auth, checked by the route',
  '/api/v1/openapi.json': 'the API reference',
  '/api/metrics': 'Prometheus scrapers present HERALD_METRICS_TOKEN, checked by the route',
  '/api/auth/sign-in': 'the way in',
  '/api/auth/setup': 'first run; the setup token is the credential',
};
const PUBLIC_PAGES = ['/sign-in', '/setup', '/api-docs'];
const METHODS: HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const SAMPLE_PARAMS: Record<string, string> = { id: '999999', name: 'nobody', key: 'nobody' };

const nav = vi.hoisted(() => ({ headers: new Headers() }));
vi.mock('next/headers', () => ({
  headers: async () => nav.headers,
  cookies: async () => ({ get: () => undefined, getAll: () => [], has: () => false }),
}));

function find(dir: string, name: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return find(full, name);
    return e.name === name ? [full] : [];
  });
}

/** `app/(group)/deliveries/[id]/page.tsx` → `/deliveries/[id]`. */
function urlPath(file: string): string {
  const segments = path
    .relative(path.join(projectRoot, 'app'), path.dirname(file))
    .split(path.sep)
    .filter((s) => s && !/^\(.*\)$/.test(s) && !s.startsWith('@'));
  return `/${segments.join('/')}`;
}

function paramsOf(route: string): Record<string, string> {
  return Object.fromEntries([...route.matchAll(/\[(\w+)\]/g)].map(([, k]) => [k!, SAMPLE_PARAMS[k!] ?? 'x']));
}

const allowed = (role: Role, access: Access) => access === 'public' || rolePermissions[role].includes(access);

const pageFiles = find(path.join(projectRoot, 'app'), 'page.tsx');
const routeFiles = find(path.join(projectRoot, 'app'), 'route.ts');

let t: TestDatabase;
const sessions = {} as Record<Role, string>;

beforeAll(async () => {
  t = await setupAuthDatabase();
  for (const role of roles) sessions[role] = await userWithSession(t, role);
});
afterAll(async () => {
  // The SSE route started this process's LISTEN connection; close it before the database goes.
  const holder = globalThis as { heraldActivityHub?: { stop(): Promise<void> } };
  await holder.heraldActivityHub?.stop();
  await t?.drop();
});

describe('the access list', () => {
  it('names every page and route handler under app/, and nothing else', async () => {
    expect(pageFiles.map(urlPath).sort()).toEqual(Object.keys(pageAccess).sort());
    expect(routeFiles.map(urlPath).sort()).toEqual(Object.keys(routeAccess).sort());
    for (const file of routeFiles) {
      const mod: Record<string, unknown> = await import(file);
      const exported = METHODS.filter((m) => typeof mod[m] === 'function');
      expect({ route: urlPath(file), methods: exported }).toEqual({
        route: urlPath(file),
        methods: METHODS.filter((m) => routeAccess[urlPath(file)]?.[m] !== undefined),
      });
    }
  });

  it('lists every public entry here with its reason', () => {
    const publicRoutes = Object.entries(routeAccess)
      .filter(([, methods]) => Object.values(methods).includes('public'))
      .map(([route]) => route);
    expect(publicRoutes.sort()).toEqual(Object.keys(PUBLIC_ROUTES).sort());
    const publicPages = Object.entries(pageAccess)
      .filter(([, a]) => a === 'public')
      .map(([p]) => p);
    expect(publicPages.sort()).toEqual([...PUBLIC_PAGES].sort());
  });
});

type Handler = (request: Request, context: { params: Promise<Record<string, string>> }) => Promise<Response>;

async function callRoute(route: string, method: HttpMethod, cookie?: string): Promise<number> {
  const mod: Record<string, unknown> = await import(routeFiles.find((f) => urlPath(f) === route)!);
  const abort = new AbortController();
  const path = route.replace(/\[(\w+)\]/g, (_, k: string) => SAMPLE_PARAMS[k] ?? 'x');
  const base = request(path, { method, headers: cookie ? { cookie } : {} });
  const response = await (mod[method] as Handler)(new Request(base, { signal: abort.signal }), {
    params: Promise.resolve(paramsOf(route)),
  });
  // Streams (SSE) stay open: stop them once the status is known.
  abort.abort();
  await response.body?.cancel().catch(() => {});
  return response.status;
}

describe('route handlers', () => {
  const cases = Object.entries(routeAccess).flatMap(([route, methods]) =>
    Object.entries(methods)
      .filter(([, access]) => access !== 'public')
      .map(([method, access]) => ({ route, method: method as HttpMethod, access: access as Access })),
  );

  it.each(cases)(
    '$method $route: 401 without a session, 403 exactly for roles without $access',
    async ({ route, method, access }) => {
      expect(await callRoute(route, method)).toBe(401);
      for (const role of roles) {
        // Signing out ends the session it is called with: give it one of its own.
        const cookie =
          route === '/api/auth/sign-out' ? cookiesOf(await signInAs(`${role}@example.com`)) : sessions[role];
        const status = await callRoute(route, method, cookie);
        if (allowed(role, access))
          expect({ role, status }).not.toMatchObject({ status: expect.toBeOneOf([401, 403]) });
        else expect({ role, status }).toEqual({ role, status: 403 });
      }
    },
  );
});

type Outcome = 'rendered' | 'sign-in' | 'forbidden' | 'not-found' | `redirect ${string}`;

async function renderPage(page: string, cookie?: string): Promise<Outcome> {
  const file = pageFiles.find((f) => urlPath(f) === page)!;
  const mod = (await import(file)) as { default: (props: unknown) => Promise<unknown> };
  nav.headers = new Headers(cookie ? { cookie } : {});
  try {
    await mod.default({ params: Promise.resolve(paramsOf(page)), searchParams: Promise.resolve({}) });
    return 'rendered';
  } catch (error) {
    const digest = String((error as { digest?: unknown }).digest ?? '');
    if (digest.startsWith('NEXT_REDIRECT')) {
      const location = digest.split(';')[2] ?? '';
      return location.startsWith('/sign-in') ? 'sign-in' : `redirect ${location}`;
    }
    if (digest === 'NEXT_HTTP_ERROR_FALLBACK;403') return 'forbidden';
    if (digest === 'NEXT_HTTP_ERROR_FALLBACK;404') return 'not-found';
    throw error;
  }
}

describe('pages', () => {
  it.each(Object.entries(pageAccess))(
    '%s (%s): sign-in without a session, 403 exactly for roles without it',
    async (page, access) => {
      const anonymous = await renderPage(page);
      if (access === 'public') expect(anonymous).not.toBe('sign-in');
      else expect(anonymous).toBe('sign-in');
      for (const role of roles) {
        const outcome = await renderPage(page, sessions[role]);
        if (allowed(role, access))
          expect({ role, outcome }).not.toMatchObject({
            outcome: expect.toBeOneOf(['sign-in', 'forbidden']),
          });
        else expect({ role, outcome }).toEqual({ role, outcome: 'forbidden' });
      }
    },
  );
});
