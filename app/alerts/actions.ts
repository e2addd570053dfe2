'use server';

import { revalidatePath } from 'next/cache';
import {
  acknowledgeAlert,
  addAlertDestination,
  removeAlertDestination,
  setAlertRule,
  silenceAlert,
  testAlertDestination,
} from '@/lib/alerts/operations';
import { publicUrl } from '@/lib/alerts/settings';
import { currentPrincipal } from '@/lib/auth/guard';
import { sharedDb } from '@/lib/db/client';
import { type Refusal, refusalOr } from '../_components/action-refusal';

/**
 * The alerts page's changes. Who may, what is valid and what exists are decided by the operations
 * in lib/alerts/operations.ts (the API's too); these only present the answer.
 */
export type AlertActionResult = { ok: true; message: string; secret?: string } | Refusal;

async function run<T>(
  work: (me: NonNullable<Awaited<ReturnType<typeof currentPrincipal>>>) => Promise<T>,
  message: (value: T) => string,
): Promise<AlertActionResult> {
  const r = await refusalOr(await currentPrincipal(), work);
  if (!r.ok) return r;
  revalidatePath('/alerts');
  const secret = (r.value as { secret?: string }).secret;
  return { ok: true, message: message(r.value), ...(secret ? { secret } : {}) };
}

export async function acknowledge(id: number): Promise<AlertActionResult> {
  return run(
    (me) => acknowledgeAlert(sharedDb(), me, Number(id)),
    (v) => (v.changed ? `Alert ${id} acknowledged` : `Alert ${id} was already acknowledged`),
  );
}

export async function silence(id: number, minutes: number, reason: string): Promise<AlertActionResult> {
  return run(
    (me) =>
      silenceAlert(sharedDb(), me, Number(id), { minutes: Number(minutes), reason: reason || undefined }),
    () =>
      Number(minutes) === 0 ? `Alert ${id} no longer silenced` : `Alert ${id} silenced for ${minutes} min`,
  );
}

export async function saveRule(change: unknown): Promise<AlertActionResult> {
  return run(
    (me) => setAlertRule(sharedDb(), me, change),
    (v) => `Rule ${v.kind}${v.subscription ? ` for ${v.subscription}` : ''} saved`,
  );
}

export async function addDestination(destination: unknown): Promise<AlertActionResult> {
  return run(
    (me) => addAlertDestination(sharedDb(), me, destination),
    (v) => `Destination ${v.name} added`,
  );
}

export async function removeDestination(id: number): Promise<AlertActionResult> {
  return run(
    (me) => removeAlertDestination(sharedDb(), me, Number(id)),
    () => 'Destination removed',
  );
}

export async function sendTest(id: number): Promise<AlertActionResult> {
  return run(
    (me) => testAlertDestination(sharedDb(), me, Number(id), publicUrl()),
    () => 'Test alert queued: a worker sends it within a second',
  );
}
