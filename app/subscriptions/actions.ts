'use server';

import { revalidatePath } from 'next/cache';
import { currentPrincipal } from '@/lib/auth/guard';
import { can } from '@/lib/auth/principal';
import { sharedDb } from '@/lib/db/client';
import { pauseSubscription, resumeSubscription } from '@/lib/operations/subscriptions';

export type PauseResult = { ok: boolean; message: string };

/** Pause or resume, authorised here on the server; the reason goes to the audit log. */
export async function setPaused(name: string, pause: boolean, reason: string): Promise<PauseResult> {
  const me = await currentPrincipal();
  if (!me || !can(me, 'subscriptions:operate'))
    return { ok: false, message: 'You may not pause or resume subscriptions.' };
  const why = reason.trim().slice(0, 1000);
  if (pause && !why)
    return {
      ok: false,
      message: 'Please say why: the reason is shown to everyone who finds messages waiting.',
    };
  const changed = await (pause ? pauseSubscription : resumeSubscription)(sharedDb(), name, {
    actor: me.actor,
    reason: why || undefined,
  });
  revalidatePath('/subscriptions');
  return changed
    ? { ok: true, message: pause ? `${name} paused` : `${name} resumed` }
    : { ok: false, message: `${name} was already ${pause ? 'paused' : 'running'}` };
}
