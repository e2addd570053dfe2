import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { type Permission, type Principal, rolePermissions, roles, scopePermissions } from './principal';

/**
 * Whether a principal authenticated earlier may still do `permission` now: for long-lived
 * responses (the event stream), which would otherwise outlive a sign-out, a disabled account or
 * a revoked key. One indexed lookup by primary key (session id or key id), no better-auth round
 * trip and no write, so it can run every few seconds per open stream.
 *
 * - a person: their session row still exists and has not expired, the account is not disabled,
 *   and its current role still grants the permission (a demotion counts);
 * - an API key: it is not revoked and its scopes still grant the permission.
 *
 * A user principal without a session id (one that did not come from a session cookie) is never
 * considered still valid.
 */
export async function principalStillValid(
  db: Db,
  principal: Principal,
  permission: Permission,
): Promise<boolean> {
  if (principal.kind === 'api-key') {
    const id = Number(principal.id);
    if (!Number.isSafeInteger(id)) return false;
    const { rows } = await db.execute<{ scopes: string[] }>(sql`
      SELECT scopes FROM herald.api_keys WHERE id = ${id} AND revoked_at IS NULL`);
    const granted = scopePermissions as Record<string, readonly Permission[] | undefined>;
    return rows[0]?.scopes.some((s) => granted[s]?.includes(permission)) === true;
  }
  if (!principal.sessionId) return false;
  const { rows } = await db.execute<{ role: string }>(sql`
    SELECT u.role FROM herald.sessions s JOIN herald.users u ON u.id = s.user_id
    WHERE s.id = ${principal.sessionId} AND s.user_id = ${principal.id}
      AND s.expires_at > now() AND NOT u.disabled`);
  const role = rows[0]?.role;
  return role !== undefined && (roles as readonly string[]).includes(role)
    ? rolePermissions[role as (typeof roles)[number]].includes(permission)
    : false;
}
