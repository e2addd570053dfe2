'use server';

import { currentPrincipal } from '@/lib/auth/guard';
import { sharedDb } from '@/lib/db/client';
import { rememberWrite } from '@/lib/db/page-reads';
import { actOnDelivery, isDeliveryAction } from '@/lib/operations/single-delivery';
import { type Refusal, refusalOr } from '../action-refusal';

export type DeliveryActionKind = 'replay' | 'retry' | 'discard';
export type ActionResult = { ok: true; message: string } | Refusal;

const done = {
  replay: 'Replayed: it will be sent again now',
  retry: 'Retrying now',
  discard: 'Discarded',
} as const;

/**
 * One delivery action from the dashboard: the operation (lib/operations/single-delivery.ts)
 * decides who may, whether a reason is needed and what an unknown or already-moved delivery
 * answers, exactly as for the API; this only presents its answer.
 */
export async function deliveryAction(
  kind: DeliveryActionKind,
  id: number,
  reason: string,
): Promise<ActionResult> {
  if (!isDeliveryAction(kind) || typeof id !== 'number')
    return { ok: false, code: 'invalid_request', message: 'Unknown action.' };
  const r = await refusalOr(await currentPrincipal(), (me) =>
    actOnDelivery(sharedDb(), me, { action: kind, id, reason: typeof reason === 'string' ? reason : '' }),
  );
  if (!r.ok) return r;
  await rememberWrite();
  return { ok: true, message: done[kind] };
}
