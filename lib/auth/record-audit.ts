import type { Executor } from '../db/client';
import { auditLog } from '../db/schema';

/**
 * Writing the audit log (herald.audit_log), and how entries name people. Reading it, masked for
 * who reads, is ./read-audit.ts. Delivery and subscription operations write their entries in SQL
 * (lib/operations/), in the same statement or transaction as the change.
 */

export interface AuditEntry {
  /** `user:ada@example.com`, `api-key:checkout`, `cli`, or `anonymous` for failed sign-ins. */
  actor: string;
  /** Dotted verb: `auth.sign_in`, `user.create`, `user.role_change`, … */
  action: string;
  target?: string;
  reason?: string;
  /** Context only: never a password, token or hash. */
  details?: Record<string, unknown>;
}

/** Appends one entry to herald.audit_log (a trigger refuses updates and deletes). */
export async function recordAudit(db: Executor, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({
    actor: entry.actor,
    action: entry.action,
    target: entry.target ?? null,
    reason: entry.reason ?? null,
    details: entry.details ?? null,
  });
}

export const userActor = (email: string) => `user:${email}`;

/** The target of an entry about someone who typed text that is not an email address. */
export const UNKNOWN_ACCOUNT_TARGET = 'user:(unknown account)';
const EMAIL_SHAPE = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;
export const isAuditableEmail = (text: string) => text.length <= 254 && EMAIL_SHAPE.test(text);

/**
 * `user:<email>`. What a failed sign-in typed into the email field is recorded only when it has
 * the shape of an email address: anything else names no account and may be a password typed in
 * the wrong field, which must not land in an append-only log (issue #18).
 */
export const userTarget = (email: string) =>
  isAuditableEmail(email) ? `user:${email}` : UNKNOWN_ACCOUNT_TARGET;
