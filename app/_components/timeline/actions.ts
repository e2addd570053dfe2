'use server';

import { currentPrincipal } from '@/lib/auth/guard';
import { can } from '@/lib/auth/principal';
import { sharedDb } from '@/lib/db/client';
import { reasonRequired } from '@/lib/lookup/actor';
import { discardDelivery, replayDelivery, retryDeliveryNow } from '@/lib/operations/deliveries';
import { deliveryState } from '@/lib/queries/deliveries';

export type DeliveryActionKind = 'replay' | 'retry' | 'discard';
export type ActionResult = { ok: true; message: string } | { ok: false; message: string };

const run = { replay: replayDelivery, retry: retryDeliveryNow, discard: discardDelivery } as const;
const done = {
  replay: 'Replayed: it will be sent again now',
  retry: 'Retrying now',
  discard: 'Discarded',
} as const;

/**
 * One delivery action from the dashboard, authorised here on the server whatever the page
 * showed. The operation moves only a delivery in the right state, so two people clicking at
 * once act once; the second is told what happened instead.
 */
export async function deliveryAction(
  kind: DeliveryActionKind,
  id: number,
  reason: string,
): Promise<ActionResult> {
  const me = await currentPrincipal();
  if (!me || !can(me, 'deliveries:act')) return { ok: false, message: 'You may not act on deliveries.' };
  if (!(kind in run) || !Number.isSafeInteger(id) || id < 1) return { ok: false, message: 'Unknown action.' };
  if (kind === 'discard' && !can(me, 'deliveries:discard'))
    return { ok: false, message: 'Only operators may discard a delivery.' };
  const why = reason.trim().slice(0, 1000);
  if (reasonRequired(me) && !why)
    return { ok: false, message: 'Please give a reason: it goes to the audit log.' };
  const db = sharedDb();
  const changed = await run[kind](db, id, { actor: me.actor, reason: why || undefined });
  if (changed) return { ok: true, message: done[kind] };
  const state = await deliveryState(db, id);
  return {
    ok: false,
    message:
      state === null
        ? `Delivery ${id} no longer exists.`
        : `Nothing done: delivery ${id} is ${state} now (someone may have acted first).`,
  };
}
