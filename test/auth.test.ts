import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POST as passwordRoute } from '../app/api/auth/password/route';
import { POST as setupRoute } from '../app/api/auth/setup/route';
import { POST as signOutRoute } from '../app/api/auth/sign-out/route';
import { PATCH as changeUserRoute } from '../app/api/auth/users/[id]/route';
import { POST as createUserRoute, GET as listUsersRoute } from '../app/api/auth/users/route';
import { authenticate } from '../lib/auth/authenticate';
import {
  ACCOUNT_FREE_FAILURES,
  ACCOUNT_LOCK_BASE_SECONDS,
  pairKey,
} from '../lib/auth/password-guess-throttle';
import { issueSetupLink } from '../lib/auth/setup';
import { createUser } from '../lib/auth/users';
import {
  cookiesOf,
  ORIGIN,
  PASSWORD,
  request,
  setupAuthDatabase,
  signInAs,
  userWithSession,
} from './auth-helpers';
import { runCli } from './helpers/cli';
import type { TestDatabase } from './helpers/db';

let t: TestDatabase;

beforeAll(async () => {
  t = await setupAuthDatabase();
});
afterAll(() => t?.drop());

const noParams = { params: Promise.resolve({}) };
const audit = (action: string) =>
  t.query<{ actor: string; target: string; details: Record<string, unknown> | null }>(
    'SELECT actor, target, details FROM herald.audit_log WHERE action = $1 ORDER BY id',
    [action],
  );

describe('first run', () => {
  it('a setup link creates the first admin once, signs them in, and dies', async () => {
    const link = await issueSetupLink(t.db, ORIGIN);
    expect(link).toMatch(/^http:\/\/localhost:3000\/setup\?token=[A-Za-z0-9_-]{43}$/);
    const token = new URL(link ?? '').searchParams.get('token') ?? '';
    // A second start before anyone used the link issues another one; both lead to one admin.
    expect(await issueSetupLink(t.db, ORIGIN)).not.toBe(link);

    const weak = await setupRoute(
      request('/api/auth/setup', { body: { token, email: 'root@example.com', password: 'short' } }),
    );
    expect(weak.status).toBe(422);
    const made = await setupRoute(
      request('/api/auth/setup', { body: { token, email: 'Root@Example.com', password: PASSWORD } }),
    );
    expect(made.status).toBe(201);
    expect(await made.json()).toEqual({ email: 'root@example.com' });
    const me = await authenticate(request('/', { headers: { cookie: cookiesOf(made) } }));
    expect(me).toMatchObject({
      kind: 'user',
      name: 'root@example.com',
      role: 'admin',
      actor: 'user:root@example.com',
    });

    const again = await setupRoute(
      request('/api/auth/setup', { body: { token, email: 'evil@example.com', password: PASSWORD } }),
    );
    expect(again.status).toBe(403);
    expect(await issueSetupLink(t.db, ORIGIN)).toBeNull();
    expect((await audit('auth.setup')).map((a) => a.actor)).toEqual(['user:root@example.com']);
  });
});

describe('sessions', () => {
  it('signs in with an httpOnly SameSite cookie, never returns the token, and records it', async () => {
    await createUser(t.db, { email: 'ada@example.com', role: 'support', password: PASSWORD }, 'test');
    const response = await signInAs('ada@example.com');
    expect(response.status).toBe(200);
    const [cookie] = response.headers.getSetCookie();
    expect(cookie).toMatch(/^herald\.session_token=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Max-Age=43200/); // HERALD_SESSION_HOURS=12
    const body = await response.json();
    expect(body).toEqual({ email: 'ada@example.com' });
    expect((await audit('auth.sign_in')).at(-1)).toMatchObject({ actor: 'user:ada@example.com' });
    // No hash, token or password anywhere in the audit log.
    const all = JSON.stringify(await t.query('SELECT * FROM herald.audit_log'));
    expect(all).not.toContain(PASSWORD);
    expect(all).not.toMatch(/[0-9a-f]{32}:[0-9a-f]{128}/);
  });

  it('a wrong password is 401 and recorded as a failed sign-in with the address', async () => {
    const response = await signInAs('ada@example.com', 'not the password', '10.9.9.9');
    expect(response.status).toBe(401);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect((await audit('auth.sign_in_failed')).at(-1)).toMatchObject({
      actor: 'anonymous',
      target: 'user:ada@example.com',
      details: { address: '10.9.9.9' },
    });
  });

  it('sign-out ends the session on the server', async () => {
    const cookie = await userWithSession(t, 'viewer', 'leaving@example.com');
    const out = await signOutRoute(
      request('/api/auth/sign-out', { method: 'POST', headers: { cookie } }),
      noParams,
    );
    expect(out.status).toBe(200);
    expect(await authenticate(request('/', { headers: { cookie } }))).toBeNull();
  });

  it('changing the password needs the current one and signs out other sessions', async () => {
    const first = await userWithSession(t, 'operator', 'changer@example.com');
    const second = cookiesOf(await signInAs('changer@example.com'));
    const wrong = await passwordRoute(
      request('/api/auth/password', {
        body: { currentPassword: 'nope', newPassword: 'a new long password' },
        headers: { cookie: first },
      }),
      noParams,
    );
    expect(wrong.status).toBe(422);
    const ok = await passwordRoute(
      request('/api/auth/password', {
        body: { currentPassword: PASSWORD, newPassword: 'a new long password' },
        headers: { cookie: first },
      }),
      noParams,
    );
    expect(ok.status).toBe(200);
    expect(await authenticate(request('/', { headers: { cookie: second } }))).toBeNull();
    expect((await signInAs('changer@example.com')).status).toBe(401);
    expect((await signInAs('changer@example.com', 'a new long password')).status).toBe(200);
  });

  it('disabling someone ends their sessions and refuses their sign-in; the last admin stays', async () => {
    const admin = await userWithSession(t, 'admin', 'boss@example.com');
    const cookie = await userWithSession(t, 'support', 'gone@example.com');
    const [row] = await t.query<{ id: string }>(
      `SELECT id FROM herald.users WHERE email = 'gone@example.com'`,
    );
    const patch = (id: string, body: unknown) =>
      changeUserRoute(
        request(`/api/auth/users/${id}`, { method: 'PATCH', body, headers: { cookie: admin } }),
        {
          params: Promise.resolve({ id }),
        },
      );
    expect((await patch(row!.id, { disabled: true })).status).toBe(200);
    expect(await authenticate(request('/', { headers: { cookie } }))).toBeNull();
    expect((await signInAs('gone@example.com')).status).toBe(401);
    expect(await audit('user.disable')).toEqual([
      expect.objectContaining({ actor: 'user:boss@example.com', target: 'user:gone@example.com' }),
    ]);

    // Demote every other admin; then the last one cannot demote or disable itself.
    const others = await t.query<{ id: string }>(
      `SELECT id FROM herald.users WHERE role = 'admin' AND email <> 'boss@example.com'`,
    );
    for (const o of others) expect((await patch(o.id, { role: 'viewer' })).status).toBe(200);
    const [boss] = await t.query<{ id: string }>(
      `SELECT id FROM herald.users WHERE email = 'boss@example.com'`,
    );
    expect((await patch(boss!.id, { role: 'operator' })).status).toBe(409);
    expect((await patch(boss!.id, { disabled: true })).status).toBe(409);
  });

  it('an admin creates a user with a generated password shown once; roles are checked', async () => {
    const admin = await userWithSession(t, 'admin', 'maker@example.com');
    const made = await createUserRoute(
      request('/api/auth/users', {
        body: { email: 'new@example.com', role: 'support' },
        headers: { cookie: admin },
      }),
      noParams,
    );
    expect(made.status).toBe(201);
    const { password, user } = await made.json();
    expect(user).toMatchObject({ email: 'new@example.com', role: 'support', disabled: false });
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect((await signInAs('new@example.com', password)).status).toBe(200);
    const listed = await (
      await listUsersRoute(request('/api/auth/users', { headers: { cookie: admin } }), noParams)
    ).json();
    expect(JSON.stringify(listed)).not.toMatch(/password|hash/i);
    const bad = await createUserRoute(
      request('/api/auth/users', {
        body: { email: 'x@example.com', role: 'root' },
        headers: { cookie: admin },
      }),
      noParams,
    );
    expect(bad.status).toBe(422);
  });
});

describe('cross-site requests', () => {
  it('a POST from another origin with a valid session cookie is refused and changes nothing', async () => {
    const admin = await userWithSession(t, 'admin', 'csrf-target@example.com');
    for (const headers of [
      { cookie: admin, origin: 'https://evil.example' },
      { cookie: admin, origin: 'null' },
      { cookie: admin, origin: '' }, // no Origin and no Sec-Fetch-Site
    ]) {
      const response = await createUserRoute(
        request('/api/auth/users', { body: { email: 'planted@example.com', role: 'admin' }, headers }),
        noParams,
      );
      expect(response.status).toBe(403);
      expect((await response.json()).error.code).toBe('forbidden');
    }
    expect(await t.query(`SELECT 1 FROM herald.users WHERE email = 'planted@example.com'`)).toEqual([]);
    // The same request from Herald's own page works.
    const same = await createUserRoute(
      request('/api/auth/users', {
        body: { email: 'planted@example.com', role: 'viewer' },
        headers: { cookie: admin },
      }),
      noParams,
    );
    expect(same.status).toBe(201);
  });

  it('sign-in from another origin is refused too (login CSRF)', async () => {
    const response = await signInAs('ada@example.com', PASSWORD, '10.0.0.7');
    expect(response.status).toBe(200);
    const { POST } = await import('../app/api/auth/sign-in/route');
    const forged = await POST(
      request('/api/auth/sign-in', {
        body: { email: 'ada@example.com', password: PASSWORD },
        headers: { origin: 'https://evil.example' },
      }),
    );
    expect(forged.status).toBe(403);
  });
});

describe('brute force', () => {
  it(`20 wrong passwords: ${ACCOUNT_FREE_FAILURES} refused as wrong, the rest throttled; the right one works after the lock`, async () => {
    await createUser(t.db, { email: 'target@example.com', role: 'admin', password: PASSWORD }, 'test');
    const statuses: number[] = [];
    let retryAfter = 0;
    for (let i = 0; i < 20; i++) {
      const response = await signInAs('target@example.com', `guess-${i}-wrong`, '203.0.113.5');
      statuses.push(response.status);
      if (response.status === 429) retryAfter = Number(response.headers.get('retry-after'));
    }
    expect(statuses.slice(0, ACCOUNT_FREE_FAILURES)).toEqual(Array(ACCOUNT_FREE_FAILURES).fill(401));
    expect(statuses.slice(ACCOUNT_FREE_FAILURES)).toEqual(Array(20 - ACCOUNT_FREE_FAILURES).fill(429));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(ACCOUNT_LOCK_BASE_SECONDS);
    // While locked, even the right password from that address is refused without being checked.
    expect((await signInAs('target@example.com', PASSWORD, '203.0.113.5')).status).toBe(429);
    expect((await audit('auth.sign_in_refused')).length).toBeGreaterThanOrEqual(15);

    // The documented window (30 s for the first lock) passes: move the lock into the past.
    await t.query(
      `UPDATE herald.sign_in_throttle SET locked_until = now() - interval '1 second' WHERE key = $1`,
      [pairKey('target@example.com', '203.0.113.5')],
    );
    const real = await signInAs('target@example.com', PASSWORD, '203.0.113.5');
    expect(real.status).toBe(200);
    expect(await authenticate(request('/', { headers: { cookie: cookiesOf(real) } }))).toMatchObject({
      role: 'admin',
    });
    // Success starts the account afresh: one more typo is an ordinary 401, not a lock.
    expect((await signInAs('target@example.com', 'typo', '203.0.113.5')).status).toBe(401);
  });

  it('one address spraying many accounts is refused after 50 failures', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 52; i++)
      statuses.push((await signInAs(`spray-${i}@example.com`, 'Winter2026!', '192.0.2.99')).status);
    expect(statuses.slice(0, 50).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(50)).toEqual([429, 429]);
    // Other addresses are not affected.
    expect((await signInAs('ada@example.com', PASSWORD, '192.0.2.100')).status).toBe(200);
  }, 120_000);
});

describe('herald user create', () => {
  it('creates a user with a generated password printed once, and refuses a bad role', async () => {
    const made = await runCli(['user', 'create', '--email', 'Cli@Example.com', '--role', 'operator'], {
      DATABASE_URL: t.url,
    });
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    const password = /password \(shown only now\): (\S+)/.exec(made.stdout)?.[1] ?? '';
    expect(made.stdout).toContain('created operator cli@example.com');
    expect((await signInAs('cli@example.com', password, '10.1.1.1')).status).toBe(200);
    expect((await audit('user.create')).at(-1)).toMatchObject({
      actor: 'cli',
      target: 'user:cli@example.com',
    });

    const bad = await runCli(['user', 'create', '--email', 'x@example.com', '--role', 'root'], {
      DATABASE_URL: t.url,
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^herald: --role must be one of viewer, support, operator, admin/);
    const taken = await runCli(['user', 'create', '--email', 'cli@example.com', '--role', 'viewer'], {
      DATABASE_URL: t.url,
    });
    expect(taken.stderr).toContain('exists already');
  });
});
