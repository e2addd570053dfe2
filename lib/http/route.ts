import { takeToken } from '../auth/api-keys-rate-limit';
import { authenticateRequest } from '../auth/authenticate';
import { type Permission, type Principal, requirePermission } from '../auth/principal';
import { type Db, sharedDb } from '../db/client';
import { errorJson, HttpError, toErrorResponse } from './errors';

export interface RouteContext<P> {
  request: Request;
  principal: Principal;
  db: Db;
  params: P;
}

export interface RouteOptions {
  /** Checked after authentication, before the body is read. */
  permission: Permission;
}

type NextContext<P> = { params: Promise<P> };

/**
 * Wraps a route handler: authenticate (401), rate limit (429 + Retry-After), authorise (403),
 * then run; every failure becomes the JSON error shape and nothing escapes as a bare 500.
 */
export function withRoute<P = Record<string, never>>(
  options: RouteOptions,
  handler: (ctx: RouteContext<P>) => Promise<Response>,
): (request: Request, context: NextContext<P>) => Promise<Response> {
  return async (request, context) => {
    try {
      const db = sharedDb();
      const auth = await authenticateRequest(db, request);
      if (!auth) {
        return errorJson(
          401,
          'unauthorized',
          'a valid API key is required (Authorization: Bearer <key>)',
          undefined,
          {
            'WWW-Authenticate': 'Bearer realm="herald"',
          },
        );
      }
      if (auth.rateKey !== undefined && auth.rateLimitPerMinute !== undefined) {
        const decision = takeToken(auth.rateKey, auth.rateLimitPerMinute);
        if (!decision.ok) {
          throw new HttpError(
            429,
            'rate_limited',
            `over this key's limit of ${auth.rateLimitPerMinute} requests per minute`,
            undefined,
            { 'Retry-After': String(decision.retryAfterSeconds) },
          );
        }
      }
      requirePermission(auth.principal, options.permission);
      const params = (await context?.params) ?? ({} as P);
      return await handler({ request, principal: auth.principal, db, params });
    } catch (error) {
      return toErrorResponse(error);
    }
  };
}
