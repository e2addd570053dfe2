import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BaselineServer, startBaselineServer } from '../bench/baseline';
import { routeAccess } from '../lib/auth/access';
import { parseConfig } from '../lib/config';
import { projectRoot } from './helpers/cli';
import { createTestDatabase, type TestDatabase } from './helpers/db';

/**
 * Issue #18, item 7: the benchmark's bare-INSERT route (/api/v1/bench-baseline) shipped in every
 * build — no authentication, no body limit, writes to `public` — guarded only by an
 * environment variable. Herald now has no such route; the benchmark serves its baseline itself.
 */

/** Every route handler under app/ as a matcher of URL paths (dynamic and catch-all segments too). */
function routeMatchers(): { file: string; matches: (url: string) => boolean }[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (/^route\.(ts|tsx|js)$/.test(e.name)) found.push(full);
    }
  };
  const app = path.join(projectRoot, 'app');
  walk(app);
  return found.map((file) => {
    const segments = path
      .relative(app, path.dirname(file))
      .split(path.sep)
      .filter((s) => s && !/^\(.*\)$/.test(s) && !s.startsWith('@'));
    const pattern = segments
      .map((s) => {
        if (/^\[\[\.\.\..+\]\]$/.test(s)) return '(?:/.*)?';
        if (/^\[\.\.\..+\]$/.test(s)) return '/.+';
        if (/^\[.+\]$/.test(s)) return '/[^/]+';
        return `/${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
      })
      .join('');
    const re = new RegExp(`^${pattern || '/'}$`);
    return { file, matches: (url: string) => re.test(url) };
  });
}

describe('no benchmark route in the app', () => {
  it('the bench-baseline route file is gone and no route handler (dynamic ones included) serves its path', () => {
    expect(fs.existsSync(path.join(projectRoot, 'app/api/v1/bench-baseline'))).toBe(false);
    const serving = routeMatchers()
      .filter((r) => r.matches('/api/v1/bench-baseline'))
      .map((r) => r.file);
    expect(serving).toEqual([]);
    expect(Object.keys(routeAccess).filter((r) => r.includes('bench'))).toEqual([]);
  });

  it('HERALD_BENCH_BASELINE is no longer a setting', () => {
    expect(parseConfig({})).not.toHaveProperty('HERALD_BENCH_BASELINE');
    expect(parseConfig({ HERALD_BENCH_BASELINE: '1' })).not.toHaveProperty('HERALD_BENCH_BASELINE');
  });
});

describe("the benchmark's own baseline server", () => {
  let t: TestDatabase;
  let server: BaselineServer;

  beforeAll(async () => {
    t = await createTestDatabase();
    server = await startBaselineServer({ databaseUrl: t.url });
  });
  afterAll(async () => {
    await server?.close();
    await t?.drop();
  });

  it('does the one INSERT the baseline stands for, on loopback only', async () => {
    expect(new URL(server.url).hostname).toBe('127.0.0.1');
    const event = { channel: 'sms', payload: { to: '+14155550100', msg: 'Your order 1042 has shipped' } };
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event),
    });
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as { id: number };
    const rows = await t.query<{ body: unknown }>('SELECT body FROM public.bench_baseline WHERE id = $1', [
      id,
    ]);
    expect(rows).toEqual([{ body: event }]);
  });
});
