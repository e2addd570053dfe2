/**
 * CSRF defence for cookie-authenticated requests: a state-changing request must come from a
 * page of Herald itself. Browsers send `Origin` on every cross-site POST (and on same-origin
 * fetches), which a page on another site cannot forge; SameSite=Lax cookies are the second line.
 */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method.toUpperCase());
}

/**
 * True when `request` may change state on the strength of its cookies: a safe method, or an
 * Origin equal to the public URL's or to the host the request was sent to. Without Origin,
 * only `Sec-Fetch-Site: same-origin` counts; anything else (old browsers, curl with a stolen
 * cookie) is refused — programs use API keys, which carry no ambient authority.
 */
export function isSameOriginRequest(request: Request, publicUrl: string): boolean {
  if (isSafeMethod(request.method)) return true;
  const origin = request.headers.get('origin');
  if (!origin || origin === 'null') return request.headers.get('sec-fetch-site') === 'same-origin';
  let originUrl: URL;
  try {
    originUrl = new URL(origin);
  } catch {
    return false;
  }
  if (originUrl.origin === new URL(publicUrl).origin) return true;
  const host = request.headers.get('x-forwarded-host') ?? request.headers.get('host');
  return host !== null && originUrl.host === host;
}
