import { recordAudit } from '@/lib/auth/record-audit';
import { assertUser, jsonWithCookies } from '@/lib/auth/respond';
import { auth } from '@/lib/auth/server';
import { withRoute } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/** Ends this session (the row is deleted, the cookie cleared). */
export const POST = withRoute({ permission: 'read' }, async ({ request, principal, db }) => {
  assertUser(principal);
  const { headers } = await auth().api.signOut({ headers: request.headers, returnHeaders: true });
  await recordAudit(db, { actor: principal.actor, action: 'auth.sign_out', target: principal.actor });
  return jsonWithCookies({ signedOut: true }, headers.getSetCookie());
});
