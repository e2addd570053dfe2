import { type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../db/client';
import { MASK, maskText } from '../queries/mask';
import { can, type Principal } from './principal';
import { isAuditableEmail, UNKNOWN_ACCOUNT_TARGET } from './record-audit';

/** Reading the audit log for the /audit page, masked for who reads it. Writing is ./record-audit.ts. */

export interface AuditFilter {
  /** Exact actor (`user:ada@example.com`) or a part of it. */
  actor?: string;
  /** Exact action (`delivery.replay`) or a prefix ending in `.` (`user.`). */
  action?: string;
  since?: Date;
  until?: Date;
  /** Keyset page: entries older than this id. */
  before?: number;
  limit: number;
}

export type AuditRow = {
  id: number;
  at: Date;
  actor: string;
  action: string;
  target: string | null;
  reason: string | null;
  details: unknown;
};

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Sign-in outcomes whose target is what someone typed into the email field. */
const typedTargets = new Set(['auth.sign_in_failed', 'auth.sign_in_refused']);
/** Details that hold search text: a fragment of an address is no address maskText could spot. */
const searchTextKeys = new Set(['errorContains']);

function maskStrings(value: unknown, key?: string): unknown {
  if (typeof value === 'string') return key && searchTextKeys.has(key) ? MASK : maskText(value);
  if (Array.isArray(value)) return value.map((v) => maskStrings(v));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = Object.create(null);
  for (const [k, v] of Object.entries(value)) out[k] = maskStrings(v, k);
  return out;
}

/**
 * An entry as this reader may see it (issue #18). The log holds what other pages mask: the
 * addresses of sandbox reactivations, bulk filters' error text, reasons typed by support, and —
 * for failed sign-ins — whatever was typed into the email field, which may be a password.
 * - A failed or refused sign-in for no existing account names "(unknown account)" except to
 *   admins, and text that is not an email address is never shown (older entries may hold it;
 *   new ones do not, see userTarget in lib/auth/record-audit.ts).
 * - Without `read:payloads`, target, reason and details are masked like error texts (addresses
 *   and phone numbers, which covers client IPs too), and search text in details wholly.
 */
export function auditEntryFor(who: Principal, row: AuditRow & { knownAccount: boolean }): AuditRow {
  const { knownAccount, ...entry } = row;
  let target = entry.target;
  if (target?.startsWith('user:') && !isAuditableEmail(target.slice(5))) target = UNKNOWN_ACCOUNT_TARGET;
  if (typedTargets.has(entry.action) && !knownAccount && !can(who, 'admin')) target = UNKNOWN_ACCOUNT_TARGET;
  if (can(who, 'read:payloads')) return { ...entry, target };
  return {
    ...entry,
    target: target === null || target === UNKNOWN_ACCOUNT_TARGET ? target : maskText(target),
    reason: entry.reason === null ? null : maskText(entry.reason),
    details: maskStrings(entry.details),
  };
}

/**
 * The audit log newest first, a page at a time by id (no OFFSET, no count: the log only grows),
 * each entry as `who` may see it (auditEntryFor). Uses audit_log_at / audit_log_actor; the id
 * order equals insertion order.
 */
export async function listAudit(
  db: Executor,
  f: AuditFilter,
  who: Principal,
): Promise<{ rows: AuditRow[]; next: number | null }> {
  const where: SQL[] = [sql`true`];
  if (f.actor) where.push(sql`actor ILIKE ${`%${escapeLike(f.actor)}%`}`);
  if (f.action)
    where.push(
      f.action.endsWith('.') ? sql`action LIKE ${`${escapeLike(f.action)}%`}` : sql`action = ${f.action}`,
    );
  if (f.since) where.push(sql`at >= ${f.since.toISOString()}`);
  if (f.until) where.push(sql`at < ${f.until.toISOString()}`);
  if (f.before) where.push(sql`id < ${f.before}`);
  const { rows } = await db.execute<AuditRow & { knownAccount: boolean }>(sql`
    SELECT a.id, a.at, a.actor, a.action, a.target, a.reason, a.details,
           EXISTS (SELECT 1 FROM herald.users u WHERE a.target = 'user:' || lower(u.email)) AS "knownAccount"
    FROM herald.audit_log a
    WHERE ${sql.join(where, sql` AND `)}
    ORDER BY a.id DESC LIMIT ${f.limit + 1}`);
  const page = rows.slice(0, f.limit).map((r) => auditEntryFor(who, { ...r, at: new Date(r.at) }));
  return { rows: page, next: rows.length > f.limit ? (page.at(-1)?.id ?? null) : null };
}

/** The distinct actions recorded so far, for the filter's list. */
export async function auditActions(db: Executor): Promise<string[]> {
  const { rows } = await db.execute<{ action: string }>(
    sql`SELECT DISTINCT action FROM herald.audit_log ORDER BY action`,
  );
  return rows.map((r) => r.action);
}
