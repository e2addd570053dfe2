import { isAPIError } from 'better-auth/api';
import { z } from 'zod';
import { recordAudit } from '@/lib/auth/audit';
import { assertUser, jsonWithCookies } from '@/lib/auth/respond';
import { auth } from '@/lib/auth/server';
import { passwordSchema } from '@/lib/auth/users';
import { readJson } from '@/lib/http/body';
import { HttpError } from '@/lib/http/errors';
import { withRoute } from '@/lib/http/route';
import { parseOr422 } from '@/lib/http/validate';

export const dynamic = 'force-dynamic';

const ChangePassword = z.strictObject({ currentPassword: z.string().max(256), newPassword: passwordSchema });

/** Changes the signed-in person's password and signs out their other sessions. */
export const POST = withRoute({ permission: 'read' }, async ({ request, principal, db }) => {
  assertUser(principal);
  const body = parseOr422(ChangePassword, await readJson(request));
  try {
    const { headers } = await auth().api.changePassword({
      body: { ...body, revokeOtherSessions: true },
      headers: request.headers,
      returnHeaders: true,
    });
    await recordAudit(db, {
      actor: principal.actor,
      action: 'user.password_change',
      target: principal.actor,
    });
    return jsonWithCookies({ changed: true }, headers.getSetCookie());
  } catch (error) {
    if (!isAPIError(error)) throw error;
    await recordAudit(db, {
      actor: principal.actor,
      action: 'user.password_change_failed',
      target: principal.actor,
    });
    throw new HttpError(422, 'invalid_request', 'the current password is wrong');
  }
});
