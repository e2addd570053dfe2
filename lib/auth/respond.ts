import { HeraldError } from '../errors';
import { authSettings } from './config';
import { isSameOriginRequest } from './origin';
import type { Principal } from './principal';

/** JSON with the Set-Cookie lines better-auth produced (a fresh Headers: nothing filters them). */
export function jsonWithCookies(body: unknown, setCookies: readonly string[], status = 200): Response {
  const headers = new Headers({ 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  for (const cookie of setCookies) headers.append('Set-Cookie', cookie);
  return new Response(JSON.stringify(body), { status, headers });
}

/** Public forms (sign-in, setup) carry no session yet, but must still come from Herald's pages. */
export function assertSameOrigin(request: Request): void {
  if (!isSameOriginRequest(request, authSettings().publicUrl)) {
    throw new HeraldError('forbidden', 'cross-origin request refused');
  }
}

/** Account routes act on the signed-in person; an API key has no password or session. */
export function assertUser(principal: Principal): void {
  if (principal.kind !== 'user') throw new HeraldError('forbidden', 'only a signed-in person can do this');
}
