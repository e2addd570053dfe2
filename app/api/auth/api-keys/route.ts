import { z } from 'zod';
import { createApiKey, listApiKeys } from '@/lib/auth/api-keys';
import { config } from '@/lib/config';
import { apiKeyScopes } from '@/lib/db/schema';
import { HeraldError } from '@/lib/errors';
import { readJson } from '@/lib/http/body';
import { withRoute } from '@/lib/http/route';
import { parseOr422 } from '@/lib/http/validate';

export const dynamic = 'force-dynamic';

const NewKey = z.strictObject({
  name: z.string().min(1).max(100),
  scopes: z.array(z.enum(apiKeyScopes)).min(1),
  publishChannels: z.array(z.string().max(200)).max(100).optional(),
  rateLimitPerMinute: z.number().int().min(1).max(1_000_000).optional(),
});

/**
 * Every key with who created it (`createdBy`) and `creatorDisabled`; `?creator=disabled` lists
 * only keys whose creator can no longer sign in, `?creator=active` the others.
 */
export const GET = withRoute({ permission: 'admin' }, async ({ request, db }) => {
  const creator = new URL(request.url).searchParams.get('creator');
  if (creator !== null && creator !== 'disabled' && creator !== 'active')
    throw new HeraldError('invalid_request', 'creator: disabled or active');
  const keys = await listApiKeys(db, creator === null ? {} : { creatorDisabled: creator === 'disabled' });
  return Response.json({ keys });
});

/** Creates a key; the answer carries its secret, the only time it is ever shown. */
export const POST = withRoute({ permission: 'admin' }, async ({ request, principal, db }) => {
  const body = parseOr422(NewKey, await readJson(request));
  const { key, token } = await createApiKey(db, {
    ...body,
    rateLimitPerMinute: body.rateLimitPerMinute ?? config().HERALD_API_RATE_LIMIT,
    createdBy: principal.actor,
  });
  return Response.json({ key, token }, { status: 201, headers: { 'Cache-Control': 'no-store' } });
});
