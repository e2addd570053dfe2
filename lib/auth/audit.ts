import type { Executor } from '../db/client';
import { auditLog } from '../db/schema';

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
export const userTarget = (email: string) => `user:${email}`;
