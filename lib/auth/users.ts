import { randomBytes, randomUUID } from 'node:crypto';
import { hashPassword } from 'better-auth/crypto';
import { asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, Executor } from '../db/client';
import { accounts, sessions, users } from '../db/schema';
import { HeraldError } from '../errors';
import { type Role, roles } from './principal';
import { recordAudit, userTarget } from './record-audit';

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

export const emailSchema = z
  .email()
  .max(254)
  .transform((e) => e.trim().toLowerCase());
export const passwordSchema = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(MAX_PASSWORD_LENGTH, `at most ${MAX_PASSWORD_LENGTH} characters`);
export const roleSchema = z.enum(roles as [Role, ...Role[]]);

export interface UserInfo {
  id: string;
  email: string;
  name: string;
  role: Role;
  disabled: boolean;
  createdAt: Date;
}

const columns = {
  id: users.id,
  email: users.email,
  name: users.name,
  role: users.role,
  disabled: users.disabled,
  createdAt: users.createdAt,
};

/** 18 random bytes, base64url: for `user create` without a password and for invitations. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

export async function countUsers(db: Executor): Promise<number> {
  const { rows } = await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM herald.users`);
  return rows[0]?.n ?? 0;
}

export async function listUsers(db: Executor): Promise<UserInfo[]> {
  return db.select(columns).from(users).orderBy(asc(users.email));
}

export interface NewUser {
  email: string;
  role: Role;
  password: string;
  name?: string;
}

/**
 * Creates a person with an email + password credential (hashed with better-auth's scrypt, the
 * same one sign-in verifies with) and records `user.create`. Refuses a taken email (conflict).
 */
export async function createUser(db: Executor, input: NewUser, actor: string): Promise<UserInfo> {
  const email = emailSchema.parse(input.email);
  const password = passwordSchema.parse(input.password);
  const role = roleSchema.parse(input.role);
  const hash = await hashPassword(password);
  return db.transaction(async (tx) => {
    const id = randomUUID();
    const inserted = await tx
      .insert(users)
      .values({ id, email, name: input.name?.trim() || email, role, emailVerified: true })
      .onConflictDoNothing()
      .returning(columns);
    const user = inserted[0];
    if (!user) throw new HeraldError('conflict', `a user with the email ${email} exists already`);
    await tx
      .insert(accounts)
      .values({ id: randomUUID(), accountId: id, providerId: 'credential', userId: id, password: hash });
    await recordAudit(tx, { actor, action: 'user.create', target: userTarget(email), details: { role } });
    return user;
  });
}

async function activeAdminsOtherThan(tx: Executor, id: string): Promise<number> {
  const { rows } = await tx.execute<{ n: number }>(sql`
    SELECT count(*)::int AS n FROM herald.users
    WHERE role = 'admin' AND NOT disabled AND id <> ${id}`);
  return rows[0]?.n ?? 0;
}

async function lockedUser(tx: Executor, id: string): Promise<UserInfo> {
  // Serialises admin changes, so two admins demoting each other at once cannot leave none.
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('herald.users.admins'))`);
  const [user] = await tx.select(columns).from(users).where(eq(users.id, id));
  if (!user) throw new HeraldError('not_found', 'no such user');
  return user;
}

/** Changes someone's role (`user.role_change`). The last active admin cannot be demoted. */
export async function setUserRole(db: Db, id: string, role: Role, actor: string): Promise<UserInfo> {
  const next = roleSchema.parse(role);
  return db.transaction(async (tx) => {
    const user = await lockedUser(tx, id);
    if (user.role === next) return user;
    if (user.role === 'admin' && !user.disabled && (await activeAdminsOtherThan(tx, id)) === 0) {
      throw new HeraldError('conflict', 'the last admin cannot be demoted; make someone else admin first');
    }
    const [updated] = await tx
      .update(users)
      .set({ role: next, updatedAt: new Date() })
      .where(eq(users.id, id))
      .returning(columns);
    await recordAudit(tx, {
      actor,
      action: 'user.role_change',
      target: userTarget(user.email),
      details: { from: user.role, to: next },
    });
    return updated ?? user;
  });
}

/**
 * Disables (or enables again) an account (`user.disable` / `user.enable`). Disabling ends all of
 * its sessions at once. The last active admin cannot be disabled.
 */
export async function setUserDisabled(
  db: Db,
  id: string,
  disabled: boolean,
  actor: string,
): Promise<UserInfo> {
  return db.transaction(async (tx) => {
    const user = await lockedUser(tx, id);
    if (user.disabled === disabled) return user;
    if (disabled && user.role === 'admin' && (await activeAdminsOtherThan(tx, id)) === 0) {
      throw new HeraldError('conflict', 'the last admin cannot be disabled');
    }
    const [updated] = await tx
      .update(users)
      .set({ disabled, updatedAt: new Date() })
      .where(eq(users.id, id))
      .returning(columns);
    if (disabled) await tx.delete(sessions).where(eq(sessions.userId, id));
    await recordAudit(tx, {
      actor,
      action: disabled ? 'user.disable' : 'user.enable',
      target: userTarget(user.email),
    });
    return updated ?? user;
  });
}
