import { z } from 'zod';
import { changePassword } from '@/lib/auth/password-change';
import { assertUser, jsonWithCookies } from '@/lib/auth/respond';
import { passwordSchema } from '@/lib/auth/users';
import { readJson } from '@/lib/http/body';
import { clientAddress } from '@/lib/http/client-address';
import { withRoute } from '@/lib/http/route';
import { parseOr422 } from '@/lib/http/validate';

export const dynamic = 'force-dynamic';

const ChangePassword = z.strictObject({ currentPassword: z.string().max(256), newPassword: passwordSchema });

/**
 * Changes the signed-in person's password and signs out their other sessions. 422 for a wrong
 * current password; 429 + Retry-After once wrong guesses are throttled (lib/auth/password-change.ts).
 */
export const POST = withRoute({ permission: 'read' }, async ({ request, principal, db }) => {
  assertUser(principal);
  const body = parseOr422(ChangePassword, await readJson(request));
  const setCookies = await changePassword(db, {
    ...body,
    principal,
    address: clientAddress(request.headers),
    headers: request.headers,
  });
  return jsonWithCookies({ changed: true }, setCookies);
});
