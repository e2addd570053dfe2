import { headers } from 'next/headers';
import { forbidden, redirect } from 'next/navigation';
import { type PagePath, pageAccess } from './access';
import { can, type Permission, type Principal } from './principal';
import { sessionUser, userPrincipal } from './session';

/** Pages that need a session: every one in lib/auth/access.ts but the public ones. */
export type ProtectedPage = {
  [K in PagePath]: (typeof pageAccess)[K] extends Permission ? K : never;
}[PagePath];

/**
 * The first line of every protected page: no session → redirect to /sign-in (back here after),
 * a session without the page's permission (lib/auth/access.ts) → the 403 page. Runs on the
 * server for every render, whatever proxy.ts did before.
 */
export async function guardPage(page: ProtectedPage, here?: string): Promise<Principal> {
  const user = await sessionUser(await headers());
  if (!user) redirect(`/sign-in?next=${encodeURIComponent(here ?? page)}`);
  const principal = userPrincipal(user);
  if (!can(principal, pageAccess[page] as Permission)) forbidden();
  return principal;
}

/** The signed-in user, if any, for pages and layouts that adapt rather than refuse. */
export async function currentPrincipal(): Promise<Principal | null> {
  const user = await sessionUser(await headers());
  return user ? userPrincipal(user) : null;
}
