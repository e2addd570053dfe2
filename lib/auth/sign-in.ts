import type { Db } from '../db/client';
import { clientAddress } from '../http/client-address';
import { passwordAttempt } from './password-attempt';
import { recordAudit, userActor, userTarget } from './record-audit';
import { auth } from './server';

export type SignInResult =
  | { ok: true; email: string; setCookies: string[] }
  | { ok: false; status: 401; message: string }
  | { ok: false; status: 429; message: string; retryAfterSeconds: number };

const WRONG = 'wrong email or password';
const THROTTLED = 'too many failed sign-ins; try again later';
const BUSY = 'too many sign-ins at once; try again in a moment';

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Email + password sign-in: hash slot and throttle (lib/auth/password-attempt.ts), better-auth's
 * password check and session, audit. Every checked or throttled outcome is recorded
 * (`auth.sign_in`, `auth.sign_in_failed`, `auth.sign_in_refused`); failed ones name the address,
 * never the password tried. Attempts turned away because every hash slot is busy are not recorded:
 * a flood must not turn into as many writes. Unknown accounts, wrong passwords and disabled
 * accounts get the same answer, and cost the same scrypt hash (better-auth hashes the password
 * when no account matches), so neither the form nor its timing reveals which emails exist.
 */
export async function signIn(
  db: Db,
  input: { email: string; password: string; headers: Headers },
): Promise<SignInResult> {
  const email = normaliseEmail(input.email);
  const address = clientAddress(input.headers);
  const outcome = await passwordAttempt(db, { email, address }, () =>
    auth().api.signInEmail({
      body: { email, password: input.password, rememberMe: true },
      headers: input.headers,
      returnHeaders: true,
    }),
  );
  if (outcome.kind === 'ok') {
    await recordAudit(db, {
      actor: userActor(email),
      action: 'auth.sign_in',
      target: userTarget(email),
      details: { address },
    });
    return { ok: true, email, setCookies: outcome.value.headers.getSetCookie() };
  }
  if (outcome.kind === 'refused') {
    if (outcome.busy)
      return { ok: false, status: 429, message: BUSY, retryAfterSeconds: outcome.retryAfterSeconds };
    await recordAudit(db, {
      actor: 'anonymous',
      action: 'auth.sign_in_refused',
      target: userTarget(email),
      details: { address, retryAfterSeconds: outcome.retryAfterSeconds },
    });
    return { ok: false, status: 429, message: THROTTLED, retryAfterSeconds: outcome.retryAfterSeconds };
  }
  await recordAudit(db, {
    actor: 'anonymous',
    action: 'auth.sign_in_failed',
    target: userTarget(email),
    details: { address },
  });
  return { ok: false, status: 401, message: WRONG };
}
