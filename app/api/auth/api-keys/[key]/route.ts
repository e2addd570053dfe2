import { revokeApiKey } from '@/lib/auth/api-keys';
import { withRoute } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/**
 * Revokes ONE key named by its exact id (`42`, `id:42`) or prefix (`1a2b3c4d`, `hk_1a2b3c4d`),
 * never by name: a name may equal another key's prefix. Audited by revokeApiKey; the key stops
 * working on the next request. 422 for a name, 404 unknown, 409 ambiguous or already revoked.
 */
export const DELETE = withRoute<{ key: string }>(
  { permission: 'admin' },
  async ({ principal, db, params }) => {
    const key = await revokeApiKey(db, decodeURIComponent(params.key), principal.actor);
    return Response.json({ key });
  },
);
