import { setSubscriptionPaused } from '../operations/subscriptions';
import { readJson } from './body';
import { withRoute } from './route';
import { ActionRequest } from './schemas';
import { parseOr422 } from './validate';

/**
 * POST /api/v1/subscriptions/{name}/pause|resume with `{ reason }` (required to pause). Idempotent:
 * pausing a paused subscription answers 200 with `changed: false`. Policy: setSubscriptionPaused.
 */
export function subscriptionActionRoute(action: 'pause' | 'resume') {
  return withRoute<{ name: string }>(
    { permission: 'subscriptions:operate' },
    async ({ request, principal, db, params }) => {
      const body = parseOr422(
        ActionRequest.optional(),
        await readJson(request, { optional: true }),
        'the request',
      );
      const answer = await setSubscriptionPaused(db, principal, {
        name: params.name,
        paused: action === 'pause',
        reason: body?.reason,
      });
      return Response.json(answer);
    },
  );
}
