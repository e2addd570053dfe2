import { can } from '@/lib/auth/principal';
import { withRoute } from '@/lib/http/route';
import { DeliveriesQuery } from '@/lib/http/schemas';
import { parseOr422, searchParams } from '@/lib/http/validate';
import { listDeliveries } from '@/lib/queries/deliveries';

export const dynamic = 'force-dynamic';

/** Deliveries, newest first; `?state=dead` is the dead-letter queue. */
export const GET = withRoute(
  { permission: 'read', reads: 'expensive' },
  async ({ request, principal, db }) => {
    const q = parseOr422(DeliveriesQuery, searchParams(request), 'the query');
    const page = await listDeliveries(
      db,
      {
        ...q,
        since: q.since ? new Date(q.since) : undefined,
        until: q.until ? new Date(q.until) : undefined,
      },
      { mask: !can(principal, 'read:payloads') },
    );
    return Response.json(page);
  },
);
