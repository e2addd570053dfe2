import { HeraldError } from '../errors';
import { type Actor, discardDelivery, replayDelivery, retryDeliveryNow } from '../operations/deliveries';
import { deliveryState } from '../queries/deliveries';
import { readJson } from './body';
import { idParam } from './params';
import { withRoute } from './route';
import { ActionRequest } from './schemas';
import { parseOr422 } from './validate';

const actions = {
  replay: { run: replayDelivery, when: 'dead' },
  retry: { run: retryDeliveryNow, when: 'waiting for a retry (pending)' },
  discard: { run: discardDelivery, when: 'pending or dead' },
} as const;

/**
 * POST /api/v1/deliveries/{id}/replay|retry|discard with an optional `{ reason }`: 200 with the
 * new state, 404 for no such delivery, 409 when its state does not allow the action (e.g. two
 * operators replaying at once: the second gets 409, the delivery runs once).
 */
export function deliveryActionRoute(action: keyof typeof actions) {
  return withRoute<{ id: string }>(
    { permission: 'deliveries:act' },
    async ({ request, principal, db, params }) => {
      const id = idParam(params.id, 'delivery');
      const body = parseOr422(
        ActionRequest.optional(),
        await readJson(request, { optional: true }),
        'the request',
      );
      const who: Actor = { actor: principal.actor, reason: body?.reason };
      const done = await actions[action].run(db, id, who);
      const state = await deliveryState(db, id);
      if (state === null) throw new HeraldError('not_found', `no delivery ${id}`);
      if (!done)
        throw new HeraldError(
          'conflict',
          `delivery ${id} is ${state}; ${action} needs it ${actions[action].when}`,
        );
      return Response.json({ id, state });
    },
  );
}
