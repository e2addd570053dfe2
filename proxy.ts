import { type NextRequest, NextResponse } from 'next/server';
import { authSettings } from './lib/auth/config';
import { isSameOriginRequest } from './lib/auth/origin';

/**
 * Runs before every request (Next 16's `proxy.ts`, formerly middleware; Node.js runtime). It is a
 * first, cheap line only — every page and route checks the session and permission again on the
 * server (lib/auth/guard.ts, lib/http/route.ts), so nothing relies on this file alone:
 * - a state-changing request that carries the session cookie from another origin gets 403;
 * - a page request without a session cookie goes to /sign-in;
 * - pages get a strict Content-Security-Policy with a fresh nonce (Next.js puts it on its own
 *   scripts when it finds the policy on the request).
 */
const PUBLIC_PAGES = new Set(['/sign-in', '/setup', '/api-docs']);

function contentSecurityPolicy(nonce: string): string {
  const dev = process.env.NODE_ENV === 'development';
  return [
    `default-src 'self'`,
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? ` 'unsafe-eval'` : ''}`,
    // React and charting libraries set style attributes; styles cannot run code.
    `style-src 'self' 'unsafe-inline'`,
    `img-src 'self' data: blob:`,
    `font-src 'self'`,
    `connect-src 'self'`,
    `object-src 'none'`,
    `base-uri 'self'`,
    `form-action 'self'`,
    `frame-ancestors 'none'`,
  ].join('; ');
}

export function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  const hasSession = request.cookies.getAll().some((c) => c.name.endsWith('herald.session_token'));
  // A request with an API key is judged by the key (lib/auth/authenticate.ts), not the cookie;
  // a cross-site page cannot add an Authorization header.
  const cookieAuthenticated = hasSession && !request.headers.has('authorization');
  if (cookieAuthenticated && !isSameOriginRequest(request, authSettings().publicUrl)) {
    return NextResponse.json(
      { error: { code: 'forbidden', message: 'cross-origin request refused' } },
      { status: 403 },
    );
  }
  if (pathname.startsWith('/api/')) return NextResponse.next();
  if (!hasSession && !PUBLIC_PAGES.has(pathname)) {
    const url = request.nextUrl.clone();
    url.pathname = '/sign-in';
    url.search = `?next=${encodeURIComponent(pathname + search)}`;
    return NextResponse.redirect(url);
  }
  const nonce = Buffer.from(crypto.randomUUID()).toString('base64');
  const csp = contentSecurityPolicy(nonce);
  const headers = new Headers(request.headers);
  headers.set('x-nonce', nonce);
  headers.set('Content-Security-Policy', csp);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set('Content-Security-Policy', csp);
  return response;
}

export const config = {
  matcher: [
    // Pages: not Next's own assets and internals, nor icons (no session, no policy needed).
    '/((?!_next/|favicon.ico|icon.svg|api/).*)',
    // API routes only with the dashboard's session cookie: the cross-origin check above is all
    // this file does for them, and the routes repeat it (lib/auth/session.ts). Programs calling
    // with an API key (publishers, scripts, the health check) then skip a whole proxy pass —
    // a second request object, cookie parsing — on every request of the hot publish path.
    // Literal names: Next reads this config at build time.
    { source: '/api/:path*', has: [{ type: 'cookie', key: 'herald.session_token' }] },
    { source: '/api/:path*', has: [{ type: 'cookie', key: '__Secure-herald.session_token' }] },
  ],
};
