import { isAPIError } from 'better-auth/api';
import type { Db } from '../db/client';
import { BUSY_RETRY_AFTER_SECONDS, takeHashSlot } from './hash-slots';
import { attemptSucceeded, reserveAttempt } from './password-guess-throttle';

export type AttemptOutcome<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'wrong' }
  /** Throttled (lib/auth/password-guess-throttle.ts) or, `busy`, every hash slot in use: nothing was checked. */
  | { kind: 'refused'; busy: boolean; retryAfterSeconds: number };

/**
 * Runs one password check for `email` from `address` under both guards, in the order that keeps a
 * flood cheap: a free hash slot first (memory only, no write), then the throttle's reservation,
 * then the check. Sign-in and password change share it, so guesses at one password through either
 * count against one budget. `check` fails with better-auth's APIError for a wrong password; any
 * other error propagates, and the attempt stays counted as failed.
 */
export async function passwordAttempt<T>(
  db: Db,
  who: { email: string; address: string },
  check: () => Promise<T>,
): Promise<AttemptOutcome<T>> {
  const release = takeHashSlot();
  if (!release) return { kind: 'refused', busy: true, retryAfterSeconds: BUSY_RETRY_AFTER_SECONDS };
  try {
    const reservation = await reserveAttempt(db, who.email, who.address);
    if (!reservation.allowed)
      return { kind: 'refused', busy: false, retryAfterSeconds: reservation.retryAfterSeconds };
    let value: T;
    try {
      value = await check();
    } catch (error) {
      if (isAPIError(error)) return { kind: 'wrong' };
      throw error;
    }
    await attemptSucceeded(db, who.email, who.address);
    return { kind: 'ok', value };
  } finally {
    release();
  }
}
