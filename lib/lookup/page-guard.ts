import { forbidden, redirect } from 'next/navigation';
import { currentPrincipal } from '../auth/guard';
import { can, type Permission, type Principal } from '../auth/principal';

/**
 * The first line of the lookup, events, dead-letter and subscriptions pages: the same rule as
 * lib/auth/guard.ts's guardPage (no session → sign-in and back; missing permission → 403), for
 * pages lib/auth/access.ts does not list yet. Runs on the server for every render.
 */
export async function guardPermission(permission: Permission, here: string): Promise<Principal> {
  const me = await currentPrincipal();
  if (!me) redirect(`/sign-in?next=${encodeURIComponent(here)}`);
  if (!can(me, permission)) forbidden();
  return me;
}

/** Support users must say why they act on a delivery; operators may. */
export function reasonRequired(me: Principal): boolean {
  return me.role === 'support';
}
