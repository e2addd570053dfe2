import { type Db, sharedDb } from '../db/client';
import { apiKeyPrincipal, findActiveApiKey, type SeenApiKey, seenApiKey, touchApiKey } from './api-keys';
import type { Principal } from './principal';
import { authenticateSession } from './session';

export interface Authenticated {
  principal: Principal;
  /** Requests per minute this principal may make; undefined means unlimited (dashboard users). */
  rateLimitPerMinute?: number;
  /** The rate limiter's bucket id. */
  rateKey?: number;
  /**
   * Set when the API key was taken from this process's memory without a lookup: the request's
   * write must re-check it (see `seenApiKey`), and any other answer must verify it first.
   */
  unverifiedKey?: SeenApiKey;
}

export interface AuthenticateOptions {
  /** The route re-checks the key in its own write: a key seen before needs no lookup now. */
  keyCheckedByWrite?: boolean;
}

/** The bearer token of `Authorization: Bearer <token>`, or null. */
export function bearerToken(request: Request): string | null {
  const header = request.headers.get('authorization');
  if (!header) return null;
  const m = /^Bearer[ \t]+(\S{1,200})[ \t]*$/i.exec(header);
  return m ? m[1]! : null;
}

/**
 * Who is calling, with their rate limit, or null when nobody valid is. API keys come first;
 * the dashboard's session cookie is the other way in.
 */
export async function authenticateRequest(
  db: Db,
  request: Request,
  options: AuthenticateOptions = {},
): Promise<Authenticated | null> {
  const token = bearerToken(request);
  if (token) {
    const seen = options.keyCheckedByWrite ? seenApiKey(token) : null;
    if (seen) {
      const key = seen.key;
      touchApiKey(db, key.id);
      return {
        principal: apiKeyPrincipal(key),
        rateLimitPerMinute: key.rateLimitPerMinute,
        rateKey: key.id,
        unverifiedKey: seen,
      };
    }
    const key = await findActiveApiKey(db, token);
    if (!key) return null;
    touchApiKey(db, key.id);
    return { principal: apiKeyPrincipal(key), rateLimitPerMinute: key.rateLimitPerMinute, rateKey: key.id };
  }
  // The dashboard's session cookie (throws `forbidden` for a cross-origin state change).
  const session = await authenticateSession(request);
  return session ? { principal: session } : null;
}

/** The contract other modules use: the principal behind a request, or null. */
export async function authenticate(request: Request): Promise<Principal | null> {
  return (await authenticateRequest(sharedDb(), request))?.principal ?? null;
}
