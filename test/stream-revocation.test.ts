import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, revokeApiKey } from '../lib/auth/api-keys';
import { setUserDisabled } from '../lib/auth/users';
import { cookiesOf, ORIGIN, request, setupAuthDatabase } from './auth-helpers';
import type { TestDatabase } from './helpers/db';
import { waitFor } from './helpers/db';
import { sessionCookieFor } from './helpers/session';

/**
 * Issue #18 item 8: an open event stream must not outlive the right to read it. Each attack
 * opens a stream, then takes the principal away (sign-out, disabled account, revoked key) and
 * waits for the stream's end — never a fixed sleep.
 */
type RouteGet = (request: Request, context: { params: Promise<Record<string, never>> }) => Promise<Response>;
type RoutePost = RouteGet;
let t: TestDatabase;
let GET: RouteGet;
let signOut: RoutePost;
let hub: import('../lib/realtime/hub').ActivityHub;

/** The re-check interval the handler under test uses: short, so the bound below is tight. */
const RECHECK_MS = 200;
/** A stream must end within this long of losing its principal (a few re-checks, plus slack). */
const BOUND_MS = 5_000;

beforeAll(async () => {
  t = await setupAuthDatabase();
  const { streamRoute } = await import('../lib/realtime/stream-route');
  GET = streamRoute({ recheckMs: RECHECK_MS });
  ({ POST: signOut } = await import('../app/api/auth/sign-out/route'));
  hub = (await import('../lib/realtime/shared-hub')).sharedHub();
});
afterAll(async () => {
  await hub?.stop();
  const { sharedPool } = await import('../lib/db/client');
  await sharedPool().end();
  await t?.drop();
});

/** An open stream: its text so far, whether it has ended, and a way to close it. */
function open(headers: Record<string, string>) {
  const controller = new AbortController();
  const req = new Request(`${ORIGIN}/api/v1/stream`, { headers, signal: controller.signal });
  const stream = {
    text: '',
    status: 0,
    ended: false,
    close: () => controller.abort(),
  };
  const done = GET(req, { params: Promise.resolve({}) }).then(async (response) => {
    stream.status = response.status;
    const reader = response.body?.getReader();
    const decoder = new TextDecoder();
    if (reader)
      for (;;) {
        const chunk = await reader.read().catch(() => ({ done: true, value: undefined }));
        if (chunk.done) break;
        stream.text += decoder.decode(chunk.value, { stream: true });
      }
    stream.ended = true;
  });
  return Object.assign(stream, { done });
}

/** Resolves when the stream ends; fails if it is still open after `BOUND_MS`. */
async function endsWithinBound(stream: ReturnType<typeof open>) {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'still open'>((r) => {
    timer = setTimeout(() => r('still open'), BOUND_MS);
  });
  const outcome = await Promise.race([stream.done.then(() => 'ended' as const), late]);
  clearTimeout(timer);
  if (outcome !== 'ended') stream.close();
  expect(outcome).toBe('ended');
}

const userId = async (email: string) =>
  (await t.query<{ id: string }>('SELECT id FROM herald.users WHERE email = $1', [email]))[0]!.id;

describe('an open event stream ends with its principal', () => {
  it('signing out ends the stream opened with that session', async () => {
    const cookie = await sessionCookieFor(t, 'viewer', 'signout@example.com');
    const stream = open({ cookie });
    await waitFor('hello', async () => stream.text.includes('event: hello'));
    const out = await signOut(request('/api/auth/sign-out', { method: 'POST', headers: { cookie } }), {
      params: Promise.resolve({}),
    });
    expect(out.status).toBe(200);
    expect(cookiesOf(out)).toContain('session_token=');
    await endsWithinBound(stream);
  });

  it('disabling the account ends its open streams', async () => {
    const email = 'disabled@example.com';
    const cookie = await sessionCookieFor(t, 'operator', email);
    const stream = open({ cookie });
    await waitFor('hello', async () => stream.text.includes('event: hello'));
    await setUserDisabled(t.db, await userId(email), true, 'test');
    await endsWithinBound(stream);
  });

  it('a disabled flag set behind the sessions ends the stream too (sessions not deleted)', async () => {
    const email = 'flag-only@example.com';
    const cookie = await sessionCookieFor(t, 'support', email);
    const stream = open({ cookie });
    await waitFor('hello', async () => stream.text.includes('event: hello'));
    await t.query('UPDATE herald.users SET disabled = true WHERE email = $1', [email]);
    await endsWithinBound(stream);
  });

  it('revoking the API key ends the stream opened with it', async () => {
    const { key, token } = await createApiKey(t.db, {
      name: 'stream-revoked',
      scopes: ['read'],
      rateLimitPerMinute: 100_000,
      createdBy: 'test',
    });
    const stream = open({ authorization: `Bearer ${token}` });
    await waitFor('hello', async () => stream.text.includes('event: hello'));
    await revokeApiKey(t.db, key.prefix, 'test');
    await endsWithinBound(stream);
  });

  it('a stream whose principal is still valid stays open across many re-checks', async () => {
    const cookie = await sessionCookieFor(t, 'admin', 'still-here@example.com');
    const { token } = await createApiKey(t.db, {
      name: 'stream-kept',
      scopes: ['read'],
      rateLimitPerMinute: 100_000,
      createdBy: 'test',
    });
    const streams = [open({ cookie }), open({ authorization: `Bearer ${token}` })];
    await waitFor('hello', async () => streams.every((s) => s.text.includes('event: hello')));
    // Ten re-check intervals: a check that wrongly failed would have ended them by now.
    const since = Date.now();
    await waitFor('ten re-checks', async () => Date.now() - since > RECHECK_MS * 10);
    expect(streams.map((s) => s.ended)).toEqual([false, false]);
    for (const s of streams) s.close();
    await Promise.all(streams.map((s) => s.done));
  });
});
