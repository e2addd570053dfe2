import { can, type Principal } from '../auth/principal';
import type { Executor } from '../db/client';
import type { DeliveryState } from '../db/schema';
import { HeraldError } from '../errors';
import { deliveryState } from '../queries/deliveries';
import { discardDelivery, replayDelivery, retryDeliveryNow } from './deliveries';
import { reasonOf, requireAllowed } from './policy';

export type DeliveryAction = 'replay' | 'retry' | 'discard';

/**
 * Support may replay and retry one delivery; giving one up for good is an operator's call.
 * Route handlers declare the same permission (lib/http/delivery-action.ts reads it from here).
 */
export const deliveryActions = {
  replay: { run: replayDelivery, when: 'dead', permission: 'deliveries:act', doing: 'replay deliveries' },
  retry: {
    run: retryDeliveryNow,
    when: 'waiting for a retry (pending)',
    permission: 'deliveries:act',
    doing: 'retry deliveries',
  },
  discard: {
    run: discardDelivery,
    when: 'pending or dead',
    permission: 'deliveries:discard',
    doing: 'discard deliveries',
  },
} as const;

export const isDeliveryAction = (v: unknown): v is DeliveryAction =>
  typeof v === 'string' && Object.hasOwn(deliveryActions, v);

/**
 * Support users act on customers' messages and must say why (issue 5); operators, admins and
 * API keys with `operate` may. The same rule for the API, the dashboard and the timeline's form.
 */
export function reasonRequired(me: Principal): boolean {
  return me.role === 'support';
}

/** What the timeline may offer this person; actOnDelivery checks again when it runs. */
export interface ActorView {
  /** Replay or retry now one delivery (deliveries:act). */
  canAct: boolean;
  /** Discard one delivery for good: operators only (deliveries:discard). */
  canDiscard: boolean;
  reasonRequired: boolean;
}

export function actorView(me: Principal): ActorView {
  return {
    canAct: can(me, 'deliveries:act'),
    canDiscard: can(me, 'deliveries:discard'),
    reasonRequired: reasonRequired(me),
  };
}

/**
 * Replay, retry now or discard one delivery, with the policy every way in shares
 * (lib/operations/policy.ts for the order of checks):
 * - who: replay and retry need `deliveries:act` (support and up, `operate` keys); discard needs
 *   `deliveries:discard` (operators and up) — else `forbidden`;
 * - reason: required for support users (reasonRequired), optional otherwise; trimmed, at most
 *   1,000 characters — else `invalid_request` at path `reason`;
 * - unknown id: `not_found`;
 * - wrong state (two people clicking at once: the second one): `conflict`, nothing changed.
 * Returns the delivery's state afterwards. Audited with who and why (the SQL functions).
 */
export async function actOnDelivery(
  db: Executor,
  me: Principal,
  request: { action: DeliveryAction; id: number; reason?: string | null },
): Promise<{ id: number; state: DeliveryState }> {
  const { action, id } = request;
  const op = deliveryActions[action];
  requireAllowed(me, op.permission, op.doing);
  const reason = reasonOf(
    request.reason,
    reasonRequired(me) ? 'support actions are recorded in the audit log with one.' : undefined,
  );
  const done = Number.isSafeInteger(id) && id > 0 && (await op.run(db, id, { actor: me.actor, reason }));
  const state = Number.isSafeInteger(id) && id > 0 ? await deliveryState(db, id) : null;
  if (state === null) throw new HeraldError('not_found', `No delivery ${id}.`);
  if (!done)
    throw new HeraldError(
      'conflict',
      `Nothing done: delivery ${id} is ${state}; ${action} needs it ${op.when}.`,
    );
  return { id, state };
}
