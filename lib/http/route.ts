import { findActiveApiKey, forgetApiKey, type SeenApiKey } from '../auth/api-keys';
import { takeToken } from '../auth/api-keys-rate-limit';
import { type Authenticated, authenticateRequest, bearerToken } from '../auth/authenticate';
import { type Permission, type Principal, requirePermission } from '../auth/principal';
import { type Db, sharedDb } from '../db/client';
import {
  formatLsn,
  type Lsn,
  READ_AFTER_HEADER,
  READ_SOURCE_HEADER,
  readAfterCookie,
  readAfterOf,
} from '../db/lsn';
import { type ReadsInfo, sharedReadRouter, writePosition } from '../db/read-routing';
import { expensiveRead, read } from '../db/reads';
import { HeraldError } from '../errors';
import { errorJson, HttpError, toErrorResponse } from './errors';

export interface RouteContext<P> {
  request: Request;
  principal: Principal;
  /**
   * The write pool, or for routes declared with `reads` the read pool chosen for this request:
   * the replica's or the primary's (lib/db/read-routing.ts).
   */
  db: Db;
  params: P;
  /**
   * With `keyCheckedByWrite`: the API key as remembered, not looked up. The handler's write must
   * re-check it (publish's `asApiKey`).
   */
  unverifiedKey?: SeenApiKey;
  /** For routes declared with `reads`: where this read is served and why (the overview shows it). */
  reads?: ReadsInfo;
}

export interface RouteOptions {
  /** Checked after authentication, before the body is read. */
  permission: Permission;
  /**
   * The handler's one write re-checks the API key in the same statement, so a key this process
   * has found active before is not looked up again first (one round trip instead of two). Any
   * answer other than that write's success verifies the key before it is given.
   */
  keyCheckedByWrite?: boolean;
  /**
   * The handler only reads: its `db` is the read pool (statement timeout → 503 `read_timeout`).
   * `'expensive'` (filters that may walk whole tables) also takes one of the principal's
   * HERALD_READ_CONCURRENCY slots (429 `too_many_reads` beyond). Authentication stays on the
   * write pool.
   */
  reads?: 'cheap' | 'expensive';
}

const unauthorized = () =>
  errorJson(401, 'unauthorized', 'a valid API key is required (Authorization: Bearer <key>)', undefined, {
    'WWW-Authenticate': 'Bearer realm="herald"',
  });

type NextContext<P> = { params: Promise<P> };

/** Tells the caller how far the data it now has reaches (cookie for browsers, header for API clients). */
function remember(response: Response, position: Lsn | null, source?: string): Response {
  let r = response;
  try {
    r.headers.get('x'); // probe: a redirect's headers are immutable
    if (source) r.headers.set(READ_SOURCE_HEADER, source);
  } catch {
    r = new Response(response.body, response);
    if (source) r.headers.set(READ_SOURCE_HEADER, source);
  }
  if (position === null) return r;
  r.headers.set(READ_AFTER_HEADER, formatLsn(position));
  r.headers.append('Set-Cookie', readAfterCookie(position));
  return r;
}

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
      const auth = await authenticateRequest(db, request, { keyCheckedByWrite: options.keyCheckedByWrite });
      if (!auth) return unauthorized();
      const unverified = auth.unverifiedKey;
      if (unverified) {
        try {
          return await run(db, auth);
        } catch (error) {
          // The write refused the key, or something failed before it: a revoked key gets 401
          // whatever else was wrong with the request.
          const revoked =
            error instanceof HeraldError && error.code === 'unauthorized'
              ? true
              : !(await findActiveApiKey(db, bearerToken(request) ?? ''));
          if (revoked) {
            forgetApiKey(unverified.secretHash);
            return unauthorized();
          }
          throw error;
        }
      }
      return await run(db, auth);
    } catch (error) {
      return toErrorResponse(error);
    }

    async function run(db: Db, auth: Authenticated): Promise<Response> {
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
      const go = (on: Db, reads?: ReadsInfo) =>
        handler({
          request,
          principal: auth.principal,
          db: on,
          params,
          unverifiedKey: auth.unverifiedKey,
          reads,
        });
      if (options.reads) {
        const router = sharedReadRouter();
        const { result, reads, position } = await router.read(readAfterOf(request), (on, reads) =>
          options.reads === 'expensive'
            ? expensiveRead(auth.principal, () => go(on, reads))
            : read(() => go(on, reads)),
        );
        // Without a replica every read is on the primary: no position to keep, no header.
        return router.hasReplica ? remember(result, position, reads.source) : result;
      }
      const response = await go(db);
      // A signed-in user's change: their next pages read from a replica only once it has
      // replayed this write (the page after a replay must show it replayed). API keys publishing
      // at volume do not pay the extra round trip; they may send the header themselves.
      if (
        auth.principal.kind === 'user' &&
        request.method !== 'GET' &&
        response.ok &&
        sharedReadRouter().hasReplica
      )
        return remember(response, await writePosition());
      return response;
    }
  };
}
