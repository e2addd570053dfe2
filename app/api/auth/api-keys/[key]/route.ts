import { revokeApiKey } from '@/lib/auth/api-keys';
import { HeraldError } from '@/lib/errors';
import { withRoute } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/** Revokes a key by name or prefix (audited by revokeApiKey); it stops working on the next request. */
export const DELETE = withRoute<{ key: string }>(
  { permission: 'admin' },
  async ({ principal, db, params }) => {
    const key = await revokeApiKey(db, decodeURIComponent(params.key), principal.actor);
    if (!key) throw new HeraldError('not_found', `no API key ${params.key}`);
    return Response.json({ key });
  },
);
