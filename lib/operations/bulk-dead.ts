import { assertMayFilter } from '../auth/masked-filters';
import type { Principal } from '../auth/principal';
import type { Executor } from '../db/client';
import { HeraldError } from '../errors';
import { type DeadFilter, isEmptyFilter, normaliseDeadFilter } from './dead-filter';
import { type BulkOptions, type BulkResult, countDead, discardMatching, replayMatching } from './deliveries';
import { reasonOf, requireAllowed } from './policy';

export const EMPTY_FILTER_MESSAGE =
  'Refused: the filter is empty. Choose a subscription, a channel, an error, a time window with a start, or deliveries by id.';

/**
 * The filter a bulk action or its count may use, or the refusal, in this order:
 * - who: `deliveries:bulk` (operators and up, `operate` keys) — else `forbidden`;
 * - masked data: without `read:payloads` no error-text filter (lib/auth/masked-filters.ts: a
 *   count by error text tells what the text holds) — `forbidden`;
 * - empty filter (isEmptyFilter in ./dead-filter.ts: `until` alone is empty) — `invalid_request`
 *   at path `(root)`.
 */
function checkedFilter(me: Principal, filter: DeadFilter): DeadFilter {
  requireAllowed(me, 'deliveries:bulk', 'run bulk actions on dead deliveries');
  const f = normaliseDeadFilter(filter);
  assertMayFilter(me, { errorContains: f.errorContains });
  if (isEmptyFilter(f))
    throw new HeraldError('invalid_request', EMPTY_FILTER_MESSAGE, [
      { path: '(root)', message: 'give at least one of subscription, channel, errorContains, since or ids' },
    ]);
  return f;
}

/** How many dead deliveries the filter matches now (the API's dry run, the dialog's preview). */
export async function countDeadMatching(db: Executor, me: Principal, filter: DeadFilter): Promise<number> {
  return countDead(db, checkedFilter(me, filter));
}

/**
 * Replays or discards every dead delivery matching the filter (./deliveries.ts: batches with
 * SKIP LOCKED, one audit entry with the filter and counts). Policy as checkedFilter above; the
 * reason is optional (the audit entry records the filter and the counts either way), trimmed, at
 * most 1,000 characters. Not-found does not arise: a filter matching nothing does nothing and
 * says `matched: 0`.
 */
export async function bulkOnDead(
  db: Executor,
  me: Principal,
  request: { action: 'replay' | 'discard'; filter: DeadFilter; reason?: string | null },
  options?: BulkOptions,
): Promise<BulkResult> {
  const filter = checkedFilter(me, request.filter);
  const reason = reasonOf(request.reason);
  const run = request.action === 'replay' ? replayMatching : discardMatching;
  return run(db, filter, { actor: me.actor, reason }, options);
}
