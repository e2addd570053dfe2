import { HeraldError } from '../errors';
import { type Actor, discardDelivery, replayDelivery, retryDeliveryNow } from '../operations/deliveries';
import { deliveryState } from '../queries/deliveries';
import { readJson } from './body';
import { idParam } from './params';
import { withRoute } from './route';
import { ActionRequest } from './schemas';
import { parseOr422 } from './validate';

// Support may replay and retry one delivery; giving one up for good is an operator's call.
const actions = {
  replay: { run: replayDelivery, when: 'dead', permission: 'deliveries:act' },
  retry: { run: retryDeliveryNow, when: 'waiting for a retry (pending)', permission: 'deliveries:act' },
  discard: { run: discardDelivery, when: 'pending or dead', permission: 'deliveries:discard' },
} as const;

/**
 * POST /api/v1/deliveries/{id}/replay|retry|discard with an optional `{ reason }`: 200 with the
 * new state, 404 for no such delivery, 409 when its state does not allow the action (e.g. two
 * operators replaying at once: the second gets 409, the delivery runs once).
 */
export function deliveryActionRoute(action: keyof typeof actions) {
  return withRoute<{ id: string }>(
    { permission: actions[action].permission },
    async ({ request, principal, db, params }) => {
      const id = idParam(params.id, 'delivery');
      const body = parseOr422(
        ActionRequest.optional(),
        await readJson(request, { optional: true }),
        'the request',
      );
      const reason = body?.reason?.trim() || undefined;
      // Support staff act on customers' messages: the audit log must say why (issue 5).
      if (principal.role === 'support' && !reason)
        throw new HeraldError('invalid_request', 'give a reason: support actions are recorded with one', [
          { path: 'reason', message: 'required for support users' },
        ]);
      const who: Actor = { actor: principal.actor, reason };
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
