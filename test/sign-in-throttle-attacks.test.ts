import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { POST as passwordRoute } from '../app/api/auth/password/route';
import { POST as signInRoute } from '../app/api/auth/sign-in/route';
import { authSettings } from '../lib/auth/config';
import { ACCOUNT_FREE_FAILURES, ADDRESS_MAX_FAILURES, pairKey } from '../lib/auth/password-guess-throttle';
import { auth } from '../lib/auth/server';
import { createUser } from '../lib/auth/users';
import { closeGracefully, createWebServer } from '../scripts/web/http-server';
import { Maintenance } from '../worker/maintenance';
import { ORIGIN, PASSWORD, request, setupAuthDatabase, signInAs, userWithSession } from './auth-helpers';
import type { TestDatabase } from './helpers/db';

/**
 * Issue #18, item 1: each test performs one attack on sign-in throttling and checks that it no
 * longer works. Addresses are distinct per test, so the per-address limit of one does not leak
 * into another.
 */
let t: TestDatabase;
const noParams = { params: Promise.resolve({}) };

beforeAll(async () => {
  t = await setupAuthDatabase();
  await createUser(t.db, { email: 'admin@example.com', role: 'admin', password: PASSWORD }, 'test');
  // Room for every parallel hash: the bursts below test the throttle, not the hash slots (whose
  // own test lowers this again).
  authSettings().passwordHashesAtOnce = 64;
});
afterAll(() => t?.drop());

/** Counts how often better-auth checks a password or hashes one, and the most at once. */
async function watchPasswordWork() {
  const password = (await auth().$context).password;
  const calls = { hash: 0, verify: 0, running: 0, mostAtOnce: 0 };
  const counted =
    <A extends unknown[], R>(kind: 'hash' | 'verify', fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      calls[kind]++;
      calls.running++;
      calls.mostAtOnce = Math.max(calls.mostAtOnce, calls.running);
      try {
        return await fn(...args);
      } finally {
        calls.running--;
      }
    };
  const [originalHash, originalVerify] = [password.hash, password.verify];
  const hash = vi.spyOn(password, 'hash').mockImplementation(counted('hash', originalHash));
  const verify = vi.spyOn(password, 'verify').mockImplementation(counted('verify', originalVerify));
  return {
    calls,
    restore() {
      hash.mockRestore();
      verify.mockRestore();
    },
  };
}

describe('sign-in throttle attacks', () => {
  it('rotating X-Forwarded-For through the web server escapes neither the address nor the account limit', async () => {
    // The real front server, with the sign-in route behind it instead of Next.
    const server = createWebServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers))
        if (typeof value === 'string') headers.set(name, value);
      const response = await signInRoute(
        new Request(`${ORIGIN}${req.url}`, { method: req.method, headers, body: Buffer.concat(chunks) }),
      );
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(await response.text());
    }, undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const post = (email: string, forwardedFor: string) =>
      new Promise<number>((resolve, reject) => {
        const body = JSON.stringify({ email, password: 'Winter2026!-spray' });
        http
          .request(
            {
              host: '127.0.0.1',
              port,
              method: 'POST',
              path: '/api/auth/sign-in',
              headers: {
                host: 'localhost:3000',
                origin: ORIGIN,
                'content-type': 'application/json',
                'x-forwarded-for': forwardedFor,
                'x-herald-client-address': forwardedFor,
              },
            },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            },
          )
          .on('error', reject)
          .end(body);
      });
    try {
      // One account, a fresh "address" per guess: the account-from-this-address lock still holds.
      const guesses: number[] = [];
      for (let i = 0; i < ACCOUNT_FREE_FAILURES + 2; i++)
        guesses.push(await post('admin@example.com', `198.51.100.${i + 1}`));
      expect(guesses).toEqual([...Array(ACCOUNT_FREE_FAILURES).fill(401), 429, 429]);
      // Spraying many accounts, a fresh "address" per guess: the address limit still holds.
      const sprayed = ADDRESS_MAX_FAILURES - guesses.length + 2;
      const spray = await Promise.all(
        Array.from({ length: sprayed }, (_, i) =>
          post(`spray-${i}@example.com`, `198.18.${i >> 8}.${i & 255}`),
        ),
      );
      expect(spray.filter((s) => s === 401)).toHaveLength(sprayed - 2);
      expect(spray.filter((s) => s === 429)).toHaveLength(2);
      // Both counted against the connection's address, whatever the headers said.
      expect(
        await t.query('SELECT 1 FROM herald.sign_in_throttle WHERE key = $1', [
          pairKey('admin@example.com', '127.0.0.1'),
        ]),
      ).toHaveLength(1);
    } finally {
      await closeGracefully(server);
      await t.query('DELETE FROM herald.sign_in_throttle');
    }
  }, 120_000);

  it('a burst of 30 parallel wrong guesses: only the allowed number reach the password check', async () => {
    const watch = await watchPasswordWork();
    try {
      const responses = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          signInAs('admin@example.com', `parallel-guess-${i}`, '203.0.113.30'),
        ),
      );
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 401)).toHaveLength(ACCOUNT_FREE_FAILURES);
      expect(statuses.filter((s) => s === 429)).toHaveLength(30 - ACCOUNT_FREE_FAILURES);
      expect(watch.calls.verify).toBe(ACCOUNT_FREE_FAILURES);
      for (const r of responses.filter((r) => r.status === 429))
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      watch.restore();
    }
  });

  it('an attacker failing for admin@ from one address does not lock the admin out elsewhere', async () => {
    await createUser(t.db, { email: 'victim@example.com', role: 'admin', password: PASSWORD }, 'test');
    for (let i = 0; i < 20; i++) await signInAs('victim@example.com', `lockout-${i}-wrong`, '203.0.113.40');
    expect((await signInAs('victim@example.com', PASSWORD, '203.0.113.40')).status).toBe(429);
    // The real admin, at their own desk.
    expect((await signInAs('victim@example.com', PASSWORD, '198.51.100.40')).status).toBe(200);
    // And the attacker is still locked out.
    expect((await signInAs('victim@example.com', 'one-more-wrong-guess', '203.0.113.40')).status).toBe(429);
  });

  it('guessing the current password through POST /api/auth/password is throttled like sign-in', async () => {
    const cookie = await userWithSession(t, 'operator', 'stolen-session@example.com');
    const change = (currentPassword: string) =>
      passwordRoute(
        request('/api/auth/password', {
          body: { currentPassword, newPassword: 'attacker chosen password' },
          headers: { cookie, 'x-herald-client-address': '203.0.113.50' },
        }),
        noParams,
      );
    const statuses: number[] = [];
    let retryAfter = '';
    for (let i = 0; i < ACCOUNT_FREE_FAILURES + 3; i++) {
      const response = await change(`current-guess-${i}`);
      statuses.push(response.status);
      if (response.status === 429) retryAfter = response.headers.get('retry-after') ?? '';
    }
    expect(statuses).toEqual([...Array(ACCOUNT_FREE_FAILURES).fill(422), 429, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    // Locked means not checked: even the right current password changes nothing now.
    expect((await change(PASSWORD)).status).toBe(429);
    expect((await signInAs('stolen-session@example.com', PASSWORD, '198.51.100.50')).status).toBe(200);
    const refused = await t.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM herald.audit_log WHERE action = 'user.password_change_refused'`,
    );
    expect(refused[0]?.n).toBe(4);
  });

  it('an unknown email costs a password hash like a wrong password, so timing does not reveal accounts', async () => {
    const watch = await watchPasswordWork();
    try {
      const unknown = await signInAs('nobody-here@example.com', 'some-password-guess', '203.0.113.60');
      expect(watch.calls).toMatchObject({ hash: 1, verify: 0 });
      const wrong = await signInAs('admin@example.com', 'some-password-guess', '203.0.113.61');
      expect(watch.calls).toMatchObject({ hash: 1, verify: 1 });
      expect([unknown.status, wrong.status]).toEqual([401, 401]);
      expect(await unknown.json()).toEqual(await wrong.json());
    } finally {
      watch.restore();
    }
  });

  it('a flood of parallel sign-ins runs only a few hashes at once; the rest get 429 with Retry-After', async () => {
    authSettings().passwordHashesAtOnce = 2;
    const watch = await watchPasswordWork();
    try {
      // Different accounts and addresses: the throttle lets every one through; only the slots hold.
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          signInAs(`flood-${i}@example.com`, 'flood-guess', `192.0.2.${i + 1}`),
        ),
      );
      expect(watch.calls.mostAtOnce).toBeLessThanOrEqual(2);
      const busy = responses.filter((r) => r.status === 429);
      expect(busy.length).toBeGreaterThan(0);
      expect(responses.filter((r) => r.status === 401)).toHaveLength(20 - busy.length);
      for (const r of busy) expect(r.headers.get('retry-after')).toBe('1');
      // Turned away before anything was counted or written.
      const rows = await t.query(`SELECT 1 FROM herald.sign_in_throttle WHERE key LIKE 'address:192.0.2.%'`);
      expect(rows).toHaveLength(20 - busy.length);
      // Slots are given back: the next sign-in works.
      expect((await signInAs('admin@example.com', PASSWORD, '192.0.2.200')).status).toBe(200);
    } finally {
      watch.restore();
      authSettings().passwordHashesAtOnce = 64;
    }
  });

  it('throttle rows are pruned by maintenance once their lock and window are over', async () => {
    await t.query(`
      INSERT INTO herald.sign_in_throttle (key, failures, window_started_at, locked_until) VALUES
        ('address:old', 3, now() - interval '2 hours', NULL),
        ('account:old@example.com|address:old', 9, now() - interval '2 hours', now() - interval '1 hour'),
        ('account:still@example.com|address:old', 9, now() - interval '2 hours', now() + interval '5 minutes'),
        ('address:recent', 3, now() - interval '5 minutes', NULL)`);
    const maintenance = new Maintenance({
      pool: t.pool,
      log: pino({ level: 'silent' }),
      retentionDays: 30,
      deadRetentionDays: 30,
      pruneIntervalMs: 60_000,
      rollupIntervalMs: 60_000,
    });
    await maintenance.prune();
    const keys = await t.query<{ key: string }>(
      `SELECT key FROM herald.sign_in_throttle WHERE key LIKE '%old' OR key LIKE '%recent' ORDER BY key`,
    );
    expect(keys.map((k) => k.key)).toEqual(['account:still@example.com|address:old', 'address:recent']);
  });
});
