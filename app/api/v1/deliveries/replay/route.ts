import { assertMayFilter } from '@/lib/auth/masked-filters';
import { readJson } from '@/lib/http/body';
import { withRoute } from '@/lib/http/route';
import { BulkReplayRequest } from '@/lib/http/schemas';
import { parseOr422 } from '@/lib/http/validate';
import { countDead, type DeadFilter, replayMatching } from '@/lib/operations/deliveries';

export const dynamic = 'force-dynamic';

/** Replays every dead delivery matching a filter (never an empty one); `dryRun` only counts. */
export const POST = withRoute({ permission: 'deliveries:bulk' }, async ({ request, principal, db }) => {
  const body = parseOr422(BulkReplayRequest, await readJson(request), 'the filter');
  // A count by error text tells what the text holds: not for a key that sees errors masked.
  assertMayFilter(principal, { errorContains: body.errorContains });
  const filter: DeadFilter = {
    subscription: body.subscription,
    channel: body.channel,
    errorContains: body.errorContains,
    since: body.since ? new Date(body.since) : undefined,
    until: body.until ? new Date(body.until) : undefined,
    ids: body.ids,
  };
  if (body.dryRun) {
    const matched = await countDead(db, filter);
    return Response.json({ dryRun: true, matched, done: 0, skipped: 0 });
  }
  const result = await replayMatching(db, filter, { actor: principal.actor, reason: body.reason });
  return Response.json({ dryRun: false, ...result });
});
