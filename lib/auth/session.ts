import { HeraldError } from '../errors';
import { authSettings } from './config';
import { isSameOriginRequest } from './origin';
import { type Principal, type Role, rolePermissions, roles } from './principal';
import { auth, COOKIE_PREFIX } from './server';

export interface SessionUser {
  id: string;
  email: string;
  role: Role;
  disabled: boolean;
  /** The session row behind the cookie (better-auth's session id, not its token). */
  sessionId?: string;
}

export function userPrincipal(user: {
  id: string;
  email: string;
  role: Role;
  sessionId?: string;
}): Principal {
  return {
    kind: 'user',
    id: user.id,
    name: user.email,
    actor: `user:${user.email}`,
    role: user.role,
    permissions: new Set(rolePermissions[user.role]),
    ...(user.sessionId === undefined ? {} : { sessionId: user.sessionId }),
  };
}

function hasSessionCookie(headers: Headers): boolean {
  const cookie = headers.get('cookie');
  return cookie?.includes(`${COOKIE_PREFIX}.session_token=`) === true;
}

function asRole(value: unknown): Role | null {
  return typeof value === 'string' && (roles as readonly string[]).includes(value) ? (value as Role) : null;
}

/** The signed-in user behind these headers (cookie), or null: no cookie, expired, disabled. */
export async function sessionUser(headers: Headers): Promise<SessionUser | null> {
  if (!hasSessionCookie(headers)) return null; // no database round trip for anonymous requests
  const session = await auth().api.getSession({ headers });
  if (!session) return null;
  const role = asRole(session.user.role);
  if (!role || session.user.disabled === true) return null;
  return {
    id: session.user.id,
    email: session.user.email,
    role,
    disabled: false,
    sessionId: session.session.id,
  };
}

/**
 * The dashboard user behind a request, or null. A state-changing request whose Origin is not
 * Herald's own is refused outright (`forbidden`), even with a valid cookie: that is what a
 * cross-site request forgery looks like.
 */
export async function authenticateSession(request: Request): Promise<Principal | null> {
  if (!hasSessionCookie(request.headers)) return null;
  if (!isSameOriginRequest(request, authSettings().publicUrl)) {
    throw new HeraldError('forbidden', 'cross-origin request refused');
  }
  const user = await sessionUser(request.headers);
  return user ? userPrincipal(user) : null;
}
