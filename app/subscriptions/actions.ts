'use server';

import { revalidatePath } from 'next/cache';
import { currentPrincipal } from '@/lib/auth/guard';
import { sharedDb } from '@/lib/db/client';
import { rememberWrite } from '@/lib/db/page-reads';
import { setSubscriptionPaused } from '@/lib/operations/subscriptions';
import { type Refusal, refusalOr } from '../_components/action-refusal';

export type PauseResult = { ok: true; message: string } | Refusal;

/**
 * Pause or resume from the dashboard: who may, the reason (required to pause) and an unknown
 * name are setSubscriptionPaused's policy, the same as the API's; this only presents its answer.
 */
export async function setPaused(name: string, pause: boolean, reason: string): Promise<PauseResult> {
  const r = await refusalOr(await currentPrincipal(), (me) =>
    setSubscriptionPaused(sharedDb(), me, {
      name: String(name),
      paused: pause === true,
      reason: typeof reason === 'string' ? reason : '',
    }),
  );
  if (!r.ok) return r;
  await rememberWrite();
  revalidatePath('/subscriptions');
  const { changed } = r.value;
  return changed
    ? { ok: true, message: pause ? `${name} paused` : `${name} resumed` }
    : { ok: true, message: `${name} was already ${pause ? 'paused' : 'running'}` };
}
