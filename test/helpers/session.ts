import type { Role } from '../../lib/auth/principal';
import { auth } from '../../lib/auth/server';
import { createUser } from '../../lib/auth/users';
import { cookiesOf, ORIGIN, PASSWORD } from '../auth-helpers';
import type { TestDatabase } from './db';

/**
 * A user of this role and a session cookie for them, straight from better-auth (no sign-in
 * route, throttle or audit): for tests about what a session may do once it exists.
 */
export async function sessionCookieFor(t: TestDatabase, role: Role, email: string): Promise<string> {
  await createUser(t.db, { email, role, password: PASSWORD }, 'test');
  const { headers } = await auth().api.signInEmail({
    body: { email, password: PASSWORD },
    headers: new Headers({ origin: ORIGIN }),
    returnHeaders: true,
  });
  const cookie = cookiesOf(new Response(null, { headers }));
  if (!cookie.includes('session_token=')) throw new Error(`no session for ${email}`);
  return cookie;
}
