import type { Db } from '../db/client';
import { HttpError } from '../http/errors';
import { passwordAttempt } from './password-attempt';
import type { Principal } from './principal';
import { recordAudit } from './record-audit';
import { auth } from './server';

/**
 * Changes the signed-in person's password and signs out their other sessions, returning the new
 * session's Set-Cookie lines. A stolen session must not become a way to guess the current
 * password (and then take the account over), so each check goes through the same hash slot and
 * throttle as sign-in, counted against the same account-and-address budget. Wrong: 422; throttled
 * or busy: 429 with Retry-After.
 */
export async function changePassword(
  db: Db,
  input: {
    principal: Principal;
    address: string;
    headers: Headers;
    currentPassword: string;
    newPassword: string;
  },
): Promise<string[]> {
  const { principal, address } = input;
  const outcome = await passwordAttempt(db, { email: principal.name, address }, () =>
    auth().api.changePassword({
      body: {
        currentPassword: input.currentPassword,
        newPassword: input.newPassword,
        revokeOtherSessions: true,
      },
      headers: input.headers,
      returnHeaders: true,
    }),
  );
  if (outcome.kind === 'ok') {
    await recordAudit(db, {
      actor: principal.actor,
      action: 'user.password_change',
      target: principal.actor,
    });
    return outcome.value.headers.getSetCookie();
  }
  if (outcome.kind === 'refused') {
    if (!outcome.busy)
      await recordAudit(db, {
        actor: principal.actor,
        action: 'user.password_change_refused',
        target: principal.actor,
        details: { address, retryAfterSeconds: outcome.retryAfterSeconds },
      });
    throw new HttpError(
      429,
      'rate_limited',
      outcome.busy
        ? 'too many password checks at once; try again in a moment'
        : 'too many wrong passwords; try again later',
      undefined,
      { 'Retry-After': String(outcome.retryAfterSeconds) },
    );
  }
  await recordAudit(db, {
    actor: principal.actor,
    action: 'user.password_change_failed',
    target: principal.actor,
    details: { address },
  });
  throw new HttpError(422, 'invalid_request', 'the current password is wrong');
}
