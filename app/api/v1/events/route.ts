import { can } from '@/lib/auth/principal';
import { readJson } from '@/lib/http/body';
import { idempotencyKeyOf, publishOne } from '@/lib/http/publish';
import { withRoute } from '@/lib/http/route';
import { EventsQuery, PublishRequest } from '@/lib/http/schemas';
import { parseOr422, searchParams } from '@/lib/http/validate';
import { listEvents } from '@/lib/queries/events';

export const dynamic = 'force-dynamic';

/**
 * Publish one event: 201, or 200 with the original event when the idempotency key was used.
 * The API key is re-checked by the publish statement itself: one round trip per request.
 */
export const POST = withRoute({ permission: 'publish', keyCheckedByWrite: true }, async (ctx) => {
  const { request, principal, db, unverifiedKey } = ctx;
  const body = parseOr422(PublishRequest, await readJson(request), 'the event');
  const event = await publishOne(db, principal, body, idempotencyKeyOf(request, body), unverifiedKey);
  return Response.json(event, { status: event.duplicate ? 200 : 201 });
});

/** Events, newest first, with filters and a cursor. */
export const GET = withRoute(
  { permission: 'read', reads: 'expensive' },
  async ({ request, principal, db }) => {
    const q = parseOr422(EventsQuery, searchParams(request), 'the query');
    const page = await listEvents(
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
