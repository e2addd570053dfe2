import { sql } from 'drizzle-orm';
import type { Executor } from '../db/client';

/**
 * Sign-in throttling, per account and per address, counted in the database so that every app
 * instance sees the same numbers.
 *
 * - Account: the 5th failed password in a row locks the account for 30 s; each further failure
 *   after a lock doubles it (60 s, 120 s, …) up to 15 min. While locked, every attempt — the
 *   right password included — is refused with 429 and a Retry-After, without checking the
 *   password. The first success resets the count; so does an hour without failures. An attacker
 *   guessing online therefore gets about 5 tries, then ~100 an hour at most.
 * - Address: 50 failures within 15 minutes from one address refuse that address until the
 *   window ends, whichever accounts it tries (spraying one password across many accounts).
 *
 * The address is the last entry of X-Forwarded-For (Next.js fills it from the socket when no
 * proxy did): behind a reverse proxy that appends it, that is the client's address.
 */
export const ACCOUNT_FREE_FAILURES = 5;
export const ACCOUNT_LOCK_BASE_SECONDS = 30;
export const ACCOUNT_LOCK_MAX_SECONDS = 15 * 60;
export const ACCOUNT_WINDOW_SECONDS = 3600;
export const ADDRESS_MAX_FAILURES = 50;
export const ADDRESS_WINDOW_SECONDS = 15 * 60;

export const accountKey = (email: string) => `account:${email}`;
export const addressKey = (address: string) => `address:${address}`;

/** The client's address as this server saw it (see above). */
export function clientAddress(headers: Headers): string {
  const forwarded = headers.get('x-forwarded-for');
  const last = forwarded?.split(',').pop()?.trim();
  return last || headers.get('x-real-ip') || 'unknown';
}

/** Seconds until these keys may try again, or 0 when none is locked. */
export async function lockedFor(db: Executor, keys: string[]): Promise<number> {
  const { rows } = await db.execute<{ seconds: number | null }>(sql`
    SELECT ceil(extract(epoch FROM max(locked_until) - now()))::int AS seconds
    FROM herald.sign_in_throttle
    WHERE key IN (${sql.join(
      keys.map((k) => sql`${k}`),
      sql`, `,
    )}) AND locked_until > now()`);
  return Math.max(0, rows[0]?.seconds ?? 0);
}

/** One failure for the account: counts it and locks the account when the count says so. */
export async function recordAccountFailure(db: Executor, email: string): Promise<void> {
  await db.execute(sql`
    INSERT INTO herald.sign_in_throttle AS t (key, failures, window_started_at)
    VALUES (${accountKey(email)}, 1, now())
    ON CONFLICT (key) DO UPDATE SET
      failures = CASE WHEN t.window_started_at < now() - make_interval(secs => ${ACCOUNT_WINDOW_SECONDS})
                      THEN 1 ELSE t.failures + 1 END,
      window_started_at = CASE WHEN t.window_started_at < now() - make_interval(secs => ${ACCOUNT_WINDOW_SECONDS})
                      THEN now() ELSE t.window_started_at END`);
  await db.execute(sql`
    UPDATE herald.sign_in_throttle
    SET locked_until = now() + make_interval(secs => least(
          ${ACCOUNT_LOCK_MAX_SECONDS},
          ${ACCOUNT_LOCK_BASE_SECONDS} * power(2, failures - ${ACCOUNT_FREE_FAILURES}))),
        window_started_at = now()
    WHERE key = ${accountKey(email)} AND failures >= ${ACCOUNT_FREE_FAILURES}`);
}

/** One failed or refused attempt from the address; the address is locked at the limit. */
export async function recordAddressFailure(db: Executor, address: string): Promise<void> {
  await db.execute(sql`
    INSERT INTO herald.sign_in_throttle AS t (key, failures, window_started_at)
    VALUES (${addressKey(address)}, 1, now())
    ON CONFLICT (key) DO UPDATE SET
      failures = CASE WHEN t.window_started_at < now() - make_interval(secs => ${ADDRESS_WINDOW_SECONDS})
                      THEN 1 ELSE t.failures + 1 END,
      window_started_at = CASE WHEN t.window_started_at < now() - make_interval(secs => ${ADDRESS_WINDOW_SECONDS})
                      THEN now() ELSE t.window_started_at END,
      locked_until = CASE WHEN t.window_started_at >= now() - make_interval(secs => ${ADDRESS_WINDOW_SECONDS})
                           AND t.failures + 1 >= ${ADDRESS_MAX_FAILURES}
                      THEN t.window_started_at + make_interval(secs => ${ADDRESS_WINDOW_SECONDS})
                      ELSE t.locked_until END`);
}

/** A successful sign-in: the account starts afresh (the address keeps its count). */
export async function clearAccount(db: Executor, email: string): Promise<void> {
  await db.execute(sql`DELETE FROM herald.sign_in_throttle WHERE key = ${accountKey(email)}`);
}
