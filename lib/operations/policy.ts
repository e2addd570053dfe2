import { can, type Permission, type Principal } from '../auth/principal';
import { HeraldError } from '../errors';

/**
 * The checks every operation in lib/operations makes in the same order, whatever the way in
 * (HTTP API, server action, CLI): who may (403 `forbidden`) → is the request complete (422
 * `invalid_request` with the field's path) → does the target exist (404 `not_found`) → does its
 * state allow it (409 `conflict`). Routes and server actions only parse input, call the
 * operation with the principal and present its answer; they decide nothing themselves.
 */

/** Throws `forbidden` unless the principal has the permission; `doing` completes "may not …". */
export function requireAllowed(me: Principal, permission: Permission, doing: string): void {
  if (!can(me, permission))
    throw new HeraldError(
      'forbidden',
      `This ${me.kind === 'user' ? 'account' : 'API key'} may not ${doing} (${permission}).`,
    );
}

/** Longest reason kept in the audit log. */
export const REASON_MAX = 1000;

/**
 * The reason as recorded: trimmed, absent when blank. `requiredBecause` (a sentence) makes a
 * blank one `invalid_request` with the path `reason`; so is one longer than REASON_MAX.
 */
export function reasonOf(given: string | null | undefined, requiredBecause?: string): string | undefined {
  const reason = typeof given === 'string' ? given.trim() : '';
  if (reason.length > REASON_MAX)
    throw new HeraldError('invalid_request', `The reason is too long (at most ${REASON_MAX} characters).`, [
      { path: 'reason', message: `at most ${REASON_MAX} characters` },
    ]);
  if (!reason && requiredBecause)
    throw new HeraldError('invalid_request', `Give a reason: ${requiredBecause}`, [
      { path: 'reason', message: 'required' },
    ]);
  return reason || undefined;
}
