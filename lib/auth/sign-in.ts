import { isAPIError } from 'better-auth/api';
import type { Db } from '../db/client';
import { recordAudit, userActor, userTarget } from './audit';
import { auth } from './server';
import {
  accountKey,
  addressKey,
  clearAccount,
  clientAddress,
  lockedFor,
  recordAccountFailure,
  recordAddressFailure,
} from './throttle';

export type SignInResult =
  | { ok: true; email: string; setCookies: string[] }
  | { ok: false; status: 401; message: string }
  | { ok: false; status: 429; message: string; retryAfterSeconds: number };

const WRONG = 'wrong email or password';

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Email + password sign-in: throttle check, better-auth's password check and session, audit.
 * Every outcome is recorded (`auth.sign_in`, `auth.sign_in_failed`, `auth.sign_in_refused`);
 * failed ones name the address, never the password tried. Unknown accounts, wrong passwords
 * and disabled accounts get the same answer, so the form does not reveal which emails exist.
 */
export async function signIn(
  db: Db,
  input: { email: string; password: string; headers: Headers },
): Promise<SignInResult> {
  const email = normaliseEmail(input.email);
  const address = clientAddress(input.headers);
  const locked = await lockedFor(db, [accountKey(email), addressKey(address)]);
  if (locked > 0) {
    await recordAddressFailure(db, address);
    await recordAudit(db, {
      actor: 'anonymous',
      action: 'auth.sign_in_refused',
      target: userTarget(email),
      details: { address, retryAfterSeconds: locked },
    });
    return {
      ok: false,
      status: 429,
      message: 'too many failed sign-ins; try again later',
      retryAfterSeconds: locked,
    };
  }
  try {
    const { headers } = await auth().api.signInEmail({
      body: { email, password: input.password, rememberMe: true },
      headers: input.headers,
      returnHeaders: true,
    });
    await clearAccount(db, email);
    await recordAudit(db, {
      actor: userActor(email),
      action: 'auth.sign_in',
      target: userTarget(email),
      details: { address },
    });
    return { ok: true, email, setCookies: headers.getSetCookie() };
  } catch (error) {
    if (!isAPIError(error)) throw error;
    await recordAccountFailure(db, email);
    await recordAddressFailure(db, address);
    await recordAudit(db, {
      actor: 'anonymous',
      action: 'auth.sign_in_failed',
      target: userTarget(email),
      details: { address },
    });
    return { ok: false, status: 401, message: WRONG };
  }
}
