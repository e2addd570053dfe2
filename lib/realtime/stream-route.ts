import { principalStillValid } from '../auth/still-valid';
import { withRoute } from '../http/route';
import { sharedHub } from './shared-hub';
import { sseResponse } from './sse';

export interface StreamRouteOptions {
  /**
   * How often an open stream re-checks its principal (session still signed in, account not
   * disabled, API key not revoked): the longest a stream outlives its right to read. One
   * primary-key lookup per stream per interval. Default 5 s.
   */
  recheckMs?: number;
}

/**
 * The handler of GET /api/v1/stream (app/api/v1/stream/route.ts): authenticated like every
 * route, then a stream that ends once its principal may no longer read.
 */
export function streamRoute(options: StreamRouteOptions = {}) {
  return withRoute({ permission: 'read' }, async ({ request, principal, db }) =>
    sseResponse(sharedHub(), request, {
      recheckMs: options.recheckMs,
      stillValid: () => principalStillValid(db, principal, 'read'),
    }),
  );
}
