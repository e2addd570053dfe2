'use server';

import { revalidatePath } from 'next/cache';
import { currentPrincipal } from '@/lib/auth/guard';
import { sharedDb } from '@/lib/db/client';
import { setSubscriptionTuning } from '@/lib/operations/tuning';
import { type Refusal, refusalOr } from '../_components/action-refusal';

export type TuningResult = { ok: true; message: string } | Refusal;

/** A form field as the operation takes it: blank is "as declared" (null), anything else a number. */
const numberOrDeclared = (text: unknown): number | null =>
  typeof text !== 'string' || text.trim() === '' ? null : Number(text.trim());

/**
 * Concurrency and send rate from the dashboard (issue #21 item 4). Who may, the limits and the
 * audit entry are setSubscriptionTuning's policy, the same as the CLI's; this only presents its
 * answer. Blank fields return to the declared values; a rate of 0 lifts the limit.
 */
export async function setTuning(
  name: string,
  concurrency: string,
  ratePerSecond: string,
  reason: string,
): Promise<TuningResult> {
  const r = await refusalOr(await currentPrincipal(), (me) =>
    setSubscriptionTuning(sharedDb(), me, {
      name: String(name),
      concurrency: numberOrDeclared(concurrency),
      ratePerSecond: numberOrDeclared(ratePerSecond),
      reason: typeof reason === 'string' ? reason : '',
    }),
  );
  if (!r.ok) return r;
  revalidatePath('/subscriptions');
  const t = r.value;
  const rate = t.ratePerSecond === null ? 'no rate limit' : `at most ${t.ratePerSecond}/s`;
  return {
    ok: true,
    message: t.changed
      ? `${name}: concurrency ${t.concurrency}, ${rate}; workers apply it within seconds`
      : `${name} already had those settings`,
  };
}
