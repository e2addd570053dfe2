import { type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../db/client';

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

/**
 * The audit log newest first, a page at a time by id (no OFFSET, no count: the log only grows).
 * Uses audit_log_at / audit_log_actor; the id order equals insertion order.
 */
export async function listAudit(
  db: Executor,
  f: AuditFilter,
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
  const { rows } = await db.execute<AuditRow>(sql`
    SELECT id, at, actor, action, target, reason, details FROM herald.audit_log
    WHERE ${sql.join(where, sql` AND `)}
    ORDER BY id DESC LIMIT ${f.limit + 1}`);
  const page = rows.slice(0, f.limit).map((r) => ({ ...r, at: new Date(r.at) }));
  return { rows: page, next: rows.length > f.limit ? (page.at(-1)?.id ?? null) : null };
}

/** The distinct actions recorded so far, for the filter's list. */
export async function auditActions(db: Executor): Promise<string[]> {
  const { rows } = await db.execute<{ action: string }>(
    sql`SELECT DISTINCT action FROM herald.audit_log ORDER BY action`,
  );
  return rows.map((r) => r.action);
}
