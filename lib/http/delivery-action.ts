import { actOnDelivery, type DeliveryAction, deliveryActions } from '../operations/single-delivery';
import { readJson } from './body';
import { idParam } from './params';
import { withRoute } from './route';
import { ActionRequest } from './schemas';
import { parseOr422 } from './validate';

/**
 * POST /api/v1/deliveries/{id}/replay|retry|discard with an optional `{ reason }`: 200 with the
 * new state. Who may, when a reason is required, 404 and 409 (e.g. two operators replaying at
 * once: the second gets 409, the delivery runs once) are actOnDelivery's policy.
 */
export function deliveryActionRoute(action: DeliveryAction) {
  return withRoute<{ id: string }>(
    { permission: deliveryActions[action].permission },
    async ({ request, principal, db, params }) => {
      const id = idParam(params.id, 'delivery');
      const body = parseOr422(
        ActionRequest.optional(),
        await readJson(request, { optional: true }),
        'the request',
      );
      return Response.json(await actOnDelivery(db, principal, { action, id, reason: body?.reason }));
    },
  );
}
