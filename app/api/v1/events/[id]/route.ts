import { can } from '@/lib/auth/principal';
import { HeraldError } from '@/lib/errors';
import { idParam } from '@/lib/http/params';
import { withRoute } from '@/lib/http/route';
import { getEvent } from '@/lib/queries/events';

export const dynamic = 'force-dynamic';

/** One event with its deliveries and every attempt. */
export const GET = withRoute<{ id: string }>(
  { permission: 'read', reads: 'cheap' },
  async ({ principal, db, params }) => {
    const id = idParam(params.id, 'event');
    const event = await getEvent(db, id, { mask: !can(principal, 'read:payloads') });
    if (!event) throw new HeraldError('not_found', `no event ${id}`);
    return Response.json(event);
  },
);
