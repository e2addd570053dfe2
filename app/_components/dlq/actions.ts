'use server';

import { currentPrincipal } from '@/lib/auth/guard';
import { maskedFilterMessage, maskedFiltersIn } from '@/lib/auth/masked-filters';
import { can } from '@/lib/auth/principal';
import { sharedDb } from '@/lib/db/client';
import {
  countDead,
  type DeadFilter,
  discardMatching,
  isEmptyFilter,
  replayMatching,
} from '@/lib/operations/deliveries';

/** A dead-letter filter as the browser sends it (dates as ISO strings, already frozen). */
export interface FilterInput {
  subscription?: string;
  channel?: string;
  errorContains?: string;
  since?: string;
  until?: string;
  ids?: number[];
}

export type BulkOutcome =
  | { ok: true; matched: number; done: number; skipped: number }
  | { ok: false; message: string };

function toFilter(f: FilterInput): DeadFilter {
  const d = (s: string | undefined) => {
    const v = s ? new Date(s) : undefined;
    return v && !Number.isNaN(v.getTime()) ? v : undefined;
  };
  const text = (s: string | undefined) =>
    typeof s === 'string' && s.trim() ? s.trim().slice(0, 500) : undefined;
  return {
    subscription: text(f.subscription),
    channel: text(f.channel),
    errorContains: text(f.errorContains),
    since: d(f.since),
    until: d(f.until),
    ids: Array.isArray(f.ids)
      ? f.ids.filter((i) => Number.isSafeInteger(i) && i > 0).slice(0, 10_000)
      : undefined,
  };
}

/** `until` alone is "everything dead before now": as empty as no filter at all. */
const empty = (f: DeadFilter) => isEmptyFilter({ ...f, until: undefined });

async function allowed() {
  const me = await currentPrincipal();
  return me && can(me, 'deliveries:bulk') ? me : null;
}

/** How many dead deliveries a filter matches now: the dialog's preview and its progress. */
export async function countMatching(input: FilterInput): Promise<number | null> {
  const me = await allowed();
  if (!me) return null;
  const filter = toFilter(input);
  // The preview count would answer "does some error contain this?" (lib/auth/masked-filters.ts).
  if (maskedFiltersIn(can(me, 'read:payloads'), filter).length > 0) return null;
  if (empty(filter)) return null;
  return countDead(sharedDb(), filter);
}

/**
 * Replays or discards every dead delivery matching the filter, on the server in batches
 * (lib/operations/deliveries.ts: SKIP LOCKED, one audit entry with the filter and counts).
 * Refuses an empty filter: "everything" must be said with a subscription, an error or a window.
 */
export async function bulkAction(
  kind: 'replay' | 'discard',
  input: FilterInput,
  reason: string,
): Promise<BulkOutcome> {
  const me = await allowed();
  if (!me) return { ok: false, message: 'You may not run bulk actions.' };
  const filter = toFilter(input);
  const refused = maskedFiltersIn(can(me, 'read:payloads'), filter);
  if (refused.length > 0) return { ok: false, message: maskedFilterMessage(refused) };
  if (isEmptyFilter(filter))
    return { ok: false, message: 'Refused: choose a subscription, an error, a time window or rows first.' };
  const who = { actor: me.actor, reason: reason.trim().slice(0, 1000) || undefined };
  const result = await (kind === 'replay' ? replayMatching : discardMatching)(sharedDb(), filter, who);
  return { ok: true, ...result };
}
