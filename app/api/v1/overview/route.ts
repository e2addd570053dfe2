import { HeraldError } from '@/lib/errors';
import { withRoute } from '@/lib/http/route';
import { isRange, overview, rangeNames } from '@/lib/queries/overview';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** The overview page's data in one answer: `?range=15m|1h|24h|7d` picks the chart's window. */
export const GET = withRoute({ permission: 'read', reads: 'cheap' }, async ({ request, db, reads }) => {
  const range = new URL(request.url).searchParams.get('range') ?? '15m';
  if (!isRange(range))
    throw new HeraldError('invalid_request', 'unknown range', [
      { path: 'range', message: `one of ${rangeNames.join(', ')}` },
    ]);
  // `reads`: which server answered and the replica's lag, for the page's note (issue 23).
  return Response.json(
    { ...(await overview(db, range)), reads },
    { headers: { 'Cache-Control': 'no-store' } },
  );
});
