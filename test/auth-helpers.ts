import { POST as signInRoute } from '../app/api/auth/sign-in/route';
import type { Role } from '../lib/auth/principal';
import { createUser } from '../lib/auth/users';
import { createTestDatabase, type TestDatabase } from './helpers/db';

/** The origin the route tests pretend to be served from (HERALD_PUBLIC_URL's default). */
export const ORIGIN = 'http://localhost:3000';
export const PASSWORD = 'correct horse battery staple';

/**
 * A test database that the app's shared pool and better-auth use (they read DATABASE_URL on
 * first use), with a fixed auth secret so no secret file is written.
 */
export async function setupAuthDatabase(): Promise<TestDatabase> {
  const t = await createTestDatabase();
  process.env.DATABASE_URL = t.url;
  process.env.HERALD_AUTH_SECRET = 'test-secret-test-secret-test-secret-0123';
  // forbidden() refuses to run unless Next's build enabled experimental.authInterrupts.
  process.env.__NEXT_EXPERIMENTAL_AUTH_INTERRUPTS = 'true';
  return t;
}

export function request(
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { origin: ORIGIN, host: 'localhost:3000', ...init.headers };
  if (init.body !== undefined) headers['content-type'] ??= 'application/json';
  return new Request(`${ORIGIN}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

/** `name=value` of every cookie a response sets, ready for a Cookie header. */
export function cookiesOf(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

/** `address`: as Herald's web server records it from the connection (lib/http/client-address.ts). */
export async function signInAs(email: string, password = PASSWORD, address = '10.0.0.1'): Promise<Response> {
  return signInRoute(
    request('/api/auth/sign-in', {
      body: { email, password },
      headers: { 'x-herald-client-address': address },
    }),
  );
}

/** A user of this role and a session cookie for them. */
export async function userWithSession(
  t: TestDatabase,
  role: Role,
  email = `${role}@example.com`,
): Promise<string> {
  await createUser(t.db, { email, role, password: PASSWORD }, 'test');
  const response = await signInAs(email);
  if (response.status !== 200) throw new Error(`sign-in as ${email} failed: ${response.status}`);
  return cookiesOf(response);
}
