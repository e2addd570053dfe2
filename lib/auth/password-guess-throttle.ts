import { createHmac } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db, Executor } from '../db/client';
import { authSettings } from './config';

/**
 * Password-guess throttling (sign-in and password change), counted in the database so that every
 * app instance sees the same numbers. Two counters judge each attempt:
 *
 * - Account from one address (`account:<hash of the email>|address:<ip>`): the 5th attempt in a row that does
 *   not succeed locks this account *from this address* for 30 s; each further one after a lock
 *   doubles it (60 s, 120 s, …) up to 15 min. While locked, attempts from that address are refused
 *   with 429 and a Retry-After without checking the password. A success clears it; so does an
 *   hour without attempts. Only the guessing address is locked out, so an attacker cannot keep the
 *   real person (signing in from elsewhere) out of their account.
 * - Address (`address:<ip>`): 50 attempts within 15 minutes, whichever accounts, refused ones
 *   included, lock the address until the window ends (one password sprayed across many accounts).
 *   A success gives its attempt back.
 *
 * Every attempt is reserved before its password is checked (reserveAttempt): one transaction
 * locks both rows, decides and counts the attempt as failed. Parallel guesses therefore queue on
 * the rows, and at most the allowed number reach the password check; an attempt that then
 * succeeds is given back (attemptSucceeded). One that never finishes stays a failure.
 *
 * The address is the one Herald's web server took from the connection (lib/http/client-address.ts).
 * Rows nobody needs any more are deleted by the worker's maintenance (PRUNE_THROTTLE_SQL).
 */
export const ACCOUNT_FREE_FAILURES = 5;
export const ACCOUNT_LOCK_BASE_SECONDS = 30;
export const ACCOUNT_LOCK_MAX_SECONDS = 15 * 60;
export const ACCOUNT_WINDOW_SECONDS = 3600;
export const ADDRESS_MAX_FAILURES = 50;
export const ADDRESS_WINDOW_SECONDS = 15 * 60;

/**
 * The account part is a keyed hash of what was typed, never the text itself: people type their
 * password into the email field, and this table is readable by anyone with database access.
 */
export const pairKey = (email: string, address: string) =>
  `account:${createHmac('sha256', authSettings().secret).update(email).digest('base64url').slice(0, 22)}|address:${address}`;
export const addressKey = (address: string) => `address:${address}`;

const seconds = (n: number) => sql`(${n}::int * interval '1 second')`;

export type Reservation = { allowed: true } | { allowed: false; retryAfterSeconds: number };

type Row = {
  key: string;
  failures: number;
  /** Seconds the row's lock still runs; 0 when not locked. */
  locked: number;
  /** The row's window is over (and it is not locked): it counts from zero again. */
  stale: boolean;
};

/** Lock for the pair's nth attempt in a row that did not succeed, or undefined below the limit. */
export function pairLockSeconds(failures: number): number | undefined {
  if (failures < ACCOUNT_FREE_FAILURES) return undefined;
  return Math.min(
    ACCOUNT_LOCK_MAX_SECONDS,
    ACCOUNT_LOCK_BASE_SECONDS * 2 ** (failures - ACCOUNT_FREE_FAILURES),
  );
}

/**
 * Decides whether this attempt may check a password, and counts it, atomically. Both rows are
 * created if missing and then locked in key order (so two attempts never deadlock), read, and
 * written in the same transaction.
 */
export async function reserveAttempt(db: Db, email: string, address: string): Promise<Reservation> {
  const pk = pairKey(email, address);
  const ak = addressKey(address);
  const keys = [pk, ak].sort();
  return db.transaction(async (tx) => {
    await tx.execute(sql`
      INSERT INTO herald.sign_in_throttle (key) VALUES (${keys[0]}), (${keys[1]})
      ON CONFLICT (key) DO NOTHING`);
    const { rows } = await tx.execute<Row>(sql`
      SELECT key, failures,
             greatest(0, ceil(extract(epoch FROM locked_until - now())))::int AS locked,
             (locked_until IS NULL OR locked_until <= now())
               AND window_started_at < now() - CASE WHEN key = ${ak}
                 THEN ${seconds(ADDRESS_WINDOW_SECONDS)} ELSE ${seconds(ACCOUNT_WINDOW_SECONDS)} END AS stale
      FROM herald.sign_in_throttle WHERE key IN (${keys[0]}, ${keys[1]})
      ORDER BY key FOR UPDATE`);
    const pair = rows.find((r) => r.key === pk);
    const addr = rows.find((r) => r.key === ak);
    if (!pair || !addr) throw new Error('sign-in throttle rows vanished inside their transaction');

    const retryAfterSeconds = Math.max(pair.locked, addr.locked);
    await countForAddress(tx, ak, addr);
    if (retryAfterSeconds > 0) return { allowed: false, retryAfterSeconds };
    const failures = (pair.stale ? 0 : pair.failures) + 1;
    const lock = pairLockSeconds(failures);
    // window_started_at is the pair's last attempt: an hour without one starts it afresh.
    await tx.execute(sql`
      UPDATE herald.sign_in_throttle
      SET failures = ${failures}, window_started_at = now(),
          locked_until = ${lock === undefined ? null : sql`now() + ${seconds(lock)}`}
      WHERE key = ${pk}`);
    return { allowed: true };
  });
}

/** Every attempt, allowed or refused, counts for its address; the 50th locks it to the window's end. */
async function countForAddress(tx: Executor, key: string, row: Row): Promise<void> {
  await tx.execute(sql`
    UPDATE herald.sign_in_throttle SET
      failures = ${row.stale ? 1 : row.failures + 1},
      window_started_at = ${row.stale ? sql`now()` : sql`window_started_at`},
      locked_until = ${
        !row.stale && row.failures + 1 >= ADDRESS_MAX_FAILURES
          ? sql`window_started_at + ${seconds(ADDRESS_WINDOW_SECONDS)}`
          : row.stale
            ? null
            : sql`locked_until`
      }
    WHERE key = ${key}`);
}

/** The reserved attempt succeeded: the pair starts afresh, and the address gets its attempt back. */
export async function attemptSucceeded(db: Executor, email: string, address: string): Promise<void> {
  await db.execute(sql`DELETE FROM herald.sign_in_throttle WHERE key = ${pairKey(email, address)}`);
  await db.execute(sql`
    UPDATE herald.sign_in_throttle SET
      failures = greatest(0, failures - 1),
      locked_until = CASE WHEN failures - 1 < ${ADDRESS_MAX_FAILURES} THEN NULL ELSE locked_until END
    WHERE key = ${addressKey(address)}`);
}

/**
 * Deletes rows that no longer hold anything back: not locked and their window over. Run by the
 * worker's maintenance; without it an attacker cycling through addresses or emails would grow the
 * table without end.
 */
export const PRUNE_THROTTLE_SQL = `
  DELETE FROM herald.sign_in_throttle
  WHERE (locked_until IS NULL OR locked_until <= now())
    AND window_started_at < now() - interval '${Math.max(ACCOUNT_WINDOW_SECONDS, ADDRESS_WINDOW_SECONDS)} seconds'`;
