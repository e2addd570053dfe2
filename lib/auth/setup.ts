import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { setupTokens } from '../db/schema';
import { HeraldError } from '../errors';
import { recordAudit, userActor, userTarget } from './record-audit';
import { createUser, type UserInfo } from './users';

/**
 * First run without a default password: while no user exists, each start issues a setup link
 * with a random token (24 h). Opening it lets one person choose the first admin's email and
 * password; after that, no link works any more. Only SHA-256 of a token is stored.
 */
export const SETUP_TOKEN_HOURS = 24;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** A new setup link, or null when someone has an account already. */
export async function issueSetupLink(db: Db, publicUrl: string): Promise<string | null> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('herald.setup'))`);
    const { rows } = await tx.execute<{ any: boolean }>(
      sql`SELECT EXISTS (SELECT 1 FROM herald.users) AS any`,
    );
    if (rows[0]?.any) return null;
    const token = randomBytes(32).toString('base64url');
    await tx.insert(setupTokens).values({
      tokenHash: hashToken(token),
      expiresAt: new Date(Date.now() + SETUP_TOKEN_HOURS * 3600_000),
    });
    return `${publicUrl}/setup?token=${token}`;
  });
}

/** True while the token can still create the first admin (for the setup page to say so early). */
export async function setupTokenUsable(db: Db, token: string): Promise<boolean> {
  const { rows } = await db.execute<{ ok: boolean }>(sql`
    SELECT NOT EXISTS (SELECT 1 FROM herald.users)
       AND EXISTS (SELECT 1 FROM herald.setup_tokens
                   WHERE token_hash = ${hashToken(token)} AND used_at IS NULL AND expires_at > now()) AS ok`);
  return rows[0]?.ok === true;
}

/**
 * Creates the first admin with the token, once: the token is spent in the same transaction that
 * creates the account, serialised with issuing, so two people opening the link at the same
 * moment cannot both become admin, and a refused password does not spend the link.
 */
export async function completeSetup(
  db: Db,
  token: string,
  email: string,
  password: string,
): Promise<UserInfo> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('herald.setup'))`);
    const { rows } = await tx.execute<{ token_hash: string }>(sql`
      UPDATE herald.setup_tokens SET used_at = now()
      WHERE token_hash = ${hashToken(token)} AND used_at IS NULL AND expires_at > now()
        AND NOT EXISTS (SELECT 1 FROM herald.users)
      RETURNING token_hash`);
    if (rows.length === 0) throw new HeraldError('forbidden', 'this setup link is not valid any more');
    // Every other link dies with this one.
    await tx.execute(sql`UPDATE herald.setup_tokens SET used_at = now() WHERE used_at IS NULL`);
    const user = await createUser(tx, { email, password, role: 'admin' }, 'setup-link');
    await recordAudit(tx, {
      actor: userActor(user.email),
      action: 'auth.setup',
      target: userTarget(user.email),
    });
    return user;
  });
}
