import { readJson } from '@/lib/http/body';
import { withRoute } from '@/lib/http/route';
import { BulkReplayRequest } from '@/lib/http/schemas';
import { parseOr422 } from '@/lib/http/validate';
import { bulkOnDead, countDeadMatching } from '@/lib/operations/bulk-dead';
import type { DeadFilter } from '@/lib/operations/dead-filter';

export const dynamic = 'force-dynamic';

/**
 * Replays every dead delivery matching a filter; `dryRun` only counts. The empty-filter and
 * masked-filter refusals are lib/operations/bulk-dead.ts's.
 */
export const POST = withRoute({ permission: 'deliveries:bulk' }, async ({ request, principal, db }) => {
  const body = parseOr422(BulkReplayRequest, await readJson(request), 'the filter');
  const filter: DeadFilter = {
    subscription: body.subscription,
    channel: body.channel,
    errorContains: body.errorContains,
    since: body.since ? new Date(body.since) : undefined,
    until: body.until ? new Date(body.until) : undefined,
    ids: body.ids,
  };
  if (body.dryRun) {
    const matched = await countDeadMatching(db, principal, filter);
    return Response.json({ dryRun: true, matched, done: 0, skipped: 0 });
  }
  const result = await bulkOnDead(db, principal, { action: 'replay', filter, reason: body.reason });
  return Response.json({ dryRun: false, ...result });
});
