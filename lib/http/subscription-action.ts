import { HeraldError } from '../errors';
import { pauseSubscription, resumeSubscription } from '../operations/subscriptions';
import { subscriptionExists } from '../queries/subscriptions';
import { readJson } from './body';
import { withRoute } from './route';
import { ActionRequest } from './schemas';
import { parseOr422 } from './validate';

/**
 * POST /api/v1/subscriptions/{name}/pause|resume with an optional `{ reason }`. Idempotent:
 * pausing a paused subscription answers 200 with `changed: false`.
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
      const name = params.name;
      if (!(await subscriptionExists(db, name)))
        throw new HeraldError('not_found', `no subscription ${JSON.stringify(name.slice(0, 100))}`);
      const who = { actor: principal.actor, reason: body?.reason };
      const changed = await (action === 'pause' ? pauseSubscription : resumeSubscription)(db, name, who);
      return Response.json({ name, paused: action === 'pause', changed });
    },
  );
}
