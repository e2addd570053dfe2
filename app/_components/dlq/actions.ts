'use server';

import { currentPrincipal } from '@/lib/auth/guard';
import { sharedDb } from '@/lib/db/client';
import { rememberWrite } from '@/lib/db/page-reads';
import { bulkOnDead, countDeadMatching } from '@/lib/operations/bulk-dead';
import type { DeadFilter } from '@/lib/operations/dead-filter';
import { type Refusal, refusalOr } from '../action-refusal';

/** A dead-letter filter as the browser sends it (dates as ISO strings, already frozen). */
export interface FilterInput {
  subscription?: string;
  channel?: string;
  errorContains?: string;
  since?: string;
  until?: string;
  ids?: number[];
}

export type BulkOutcome = { ok: true; matched: number; done: number; skipped: number } | Refusal;

/** Parses what the browser sent; what the filter may be is the operation's (lib/operations/bulk-dead.ts). */
function toFilter(f: FilterInput): DeadFilter {
  const d = (s: string | undefined) => {
    const v = typeof s === 'string' ? new Date(s) : undefined;
    return v && !Number.isNaN(v.getTime()) ? v : undefined;
  };
  const text = (s: string | undefined) => (typeof s === 'string' ? s.slice(0, 500) : undefined);
  return {
    subscription: text(f?.subscription),
    channel: text(f?.channel),
    errorContains: text(f?.errorContains),
    since: d(f?.since),
    until: d(f?.until),
    ids: Array.isArray(f?.ids)
      ? f.ids.filter((i) => Number.isSafeInteger(i) && i > 0).slice(0, 10_000)
      : undefined,
  };
}

/**
 * How many dead deliveries a filter matches now: the dialog's preview and its progress. Null
 * when the operation refuses the filter (not allowed, masked, empty); bulkAction says why.
 */
export async function countMatching(input: FilterInput): Promise<number | null> {
  const r = await refusalOr(await currentPrincipal(), (me) =>
    countDeadMatching(sharedDb(), me, toFilter(input)),
  );
  return r.ok ? r.value : null;
}

/**
 * Replays or discards every dead delivery matching the filter, on the server in batches. Who may,
 * the empty and masked filters are bulkOnDead's policy, the same as the API's.
 */
export async function bulkAction(
  kind: 'replay' | 'discard',
  input: FilterInput,
  reason: string,
): Promise<BulkOutcome> {
  if (kind !== 'replay' && kind !== 'discard')
    return { ok: false, code: 'invalid_request', message: 'Unknown action.' };
  const r = await refusalOr(await currentPrincipal(), (me) =>
    bulkOnDead(sharedDb(), me, {
      action: kind,
      filter: toFilter(input),
      reason: typeof reason === 'string' ? reason : '',
    }),
  );
  if (!r.ok) return r;
  await rememberWrite();
  return { ok: true, ...r.value };
}
