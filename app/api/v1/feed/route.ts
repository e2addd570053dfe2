import { can } from '@/lib/auth/principal';
import { HeraldError } from '@/lib/errors';
import { withRoute } from '@/lib/http/route';
import { feed, parseFeedCursor } from '@/lib/queries/feed';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

const NAME = /^[a-z0-9][a-z0-9._-]{0,199}$/;

function nameParam(params: URLSearchParams, name: string): string | undefined {
  const value = params.get(name)?.trim();
  if (!value) return undefined;
  if (!NAME.test(value))
    throw new HeraldError('invalid_request', `invalid ${name}`, [
      { path: name, message: 'not a valid name' },
    ]);
  return value;
}

/**
 * Events and attempt outcomes newer than `after` (the cursor of the previous answer), for the
 * live feed page; without `after`, the newest ones. Filters: `channel`, `subscription`.
 */
export const GET = withRoute({ permission: 'read', reads: 'cheap' }, async ({ request, principal, db }) => {
  const params = new URL(request.url).searchParams;
  const after = params.get('after');
  const limitParam = Number(params.get('limit') ?? 50);
  const limit = Number.isInteger(limitParam) && limitParam >= 1 && limitParam <= 200 ? limitParam : 50;
  const result = await feed(
    db,
    {
      channel: nameParam(params, 'channel'),
      subscription: nameParam(params, 'subscription'),
      after: after ? parseFeedCursor(after) : undefined,
      limit,
    },
    can(principal, 'read:payloads'),
  );
  return Response.json(result, { headers: { 'Cache-Control': 'no-store' } });
});
