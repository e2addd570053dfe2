import { can } from '@/lib/auth/principal';
import { withRoute } from '@/lib/http/route';
import { FeedQuery } from '@/lib/http/schemas';
import { parseOr422, searchParams } from '@/lib/http/validate';
import { feed, parseFeedCursor } from '@/lib/queries/feed';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/**
 * Events and attempt outcomes newer than `after` (the cursor of the previous answer), for the
 * live feed page; without `after`, the newest ones. Filters: `channel`, `subscription`.
 */
export const GET = withRoute({ permission: 'read', reads: 'cheap' }, async ({ request, principal, db }) => {
  const q = parseOr422(FeedQuery, searchParams(request), 'the query');
  const result = await feed(
    db,
    {
      channel: q.channel,
      subscription: q.subscription,
      after: q.after ? parseFeedCursor(q.after) : undefined,
      limit: q.limit,
    },
    can(principal, 'read:payloads'),
  );
  return Response.json(result, { headers: { 'Cache-Control': 'no-store' } });
});
