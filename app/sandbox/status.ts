import type { SandboxMessageRow } from '@/lib/db/schema';

export type Tone = 'ok' | 'wait' | 'bad';

/** A message's outcome in words: what the sandbox answered, then what its webhook said. */
export function messageStatus(m: SandboxMessageRow): { label: string; detail: string; tone: Tone } {
  if (m.status === 'rejected')
    return {
      label:
        m.errorCode === 100 ? 'Refused: maintenance' : m.errorCode === 406 ? 'Refused: inactive' : 'Refused',
      detail: `HTTP ${m.httpStatus}, ErrorCode ${m.errorCode}: ${m.errorMessage ?? ''}`,
      tone: 'bad',
    };
  if (m.webhookError) return { label: 'Sent', detail: `webhook failed: ${m.webhookError}`, tone: 'wait' };
  if (!m.webhookPostedAt) return { label: 'Sent', detail: 'webhook not posted yet', tone: 'wait' };
  if (m.webhookType === 'Bounce') return { label: 'Bounced', detail: 'Bounce webhook posted', tone: 'bad' };
  return { label: 'Delivered', detail: `${m.webhookType ?? 'Delivery'} webhook posted`, tone: 'ok' };
}

export const toneClass: Record<Tone, string> = {
  ok: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300',
  wait: 'bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-300',
  bad: 'bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-300',
};
