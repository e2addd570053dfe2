import { sql } from 'drizzle-orm';
import { can, type Principal } from '../auth/principal';
import type { Db } from '../db/client';
import type { AlertKind } from '../db/schema';

/**
 * What the alerts page, GET /api/v1/alerts and `herald alerts list` show. Destination URLs go to
 * admins only (a Slack webhook URL is itself a credential); signing secrets to nobody.
 */

export interface AlertView {
  id: number;
  kind: AlertKind;
  subscription: string;
  state: 'firing' | 'resolved';
  severity: 'critical' | 'warning';
  summary: string;
  since: string | null;
  startedAt: string;
  lastSeenAt: string;
  resolvedAt: string | null;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  silencedUntil: string | null;
  silencedBy: string | null;
  /** Messages about it: sent, waiting (or retrying), given up. */
  sent: number;
  pending: number;
  failed: number;
}

export interface RuleView {
  id: number;
  kind: AlertKind;
  subscription: string;
  enabled: boolean;
  threshold: number;
  windowSeconds: number;
  minCount: number;
  repeatSeconds: number;
  updatedAt: string;
  updatedBy: string | null;
}

export interface DestinationView {
  id: number;
  name: string;
  kind: 'slack' | 'webhook' | 'email';
  fromEnv: boolean;
  /** Admins only; absent for others. */
  url?: string | null;
  emails?: string[] | null;
  signed: boolean;
  /** The latest message to it: its state and error, to show a destination that is down. */
  lastEvent: string | null;
  lastState: string | null;
  lastError: string | null;
  lastAt: string | null;
  pending: number;
}

const iso = (v: unknown) => (v == null ? null : new Date(v as string).toISOString());

/** Firing alerts first, then the latest resolved ones. */
export async function listAlerts(db: Db, { limit = 100 } = {}): Promise<AlertView[]> {
  const { rows } = await db.execute<Record<string, unknown>>(sql`
    SELECT a.id::int, a.kind, a.subscription, a.state, a.severity, a.summary, a.since, a.started_at AS "startedAt",
           a.last_seen_at AS "lastSeenAt", a.resolved_at AS "resolvedAt", a.acknowledged_at AS "acknowledgedAt",
           a.acknowledged_by AS "acknowledgedBy", a.silenced_until AS "silencedUntil", a.silenced_by AS "silencedBy",
           coalesce(m.sent, 0)::int AS sent, coalesce(m.pending, 0)::int AS pending, coalesce(m.failed, 0)::int AS failed
    FROM herald.alerts a
    LEFT JOIN LATERAL (
      SELECT count(*) FILTER (WHERE state = 'sent') AS sent, count(*) FILTER (WHERE state = 'pending') AS pending,
             count(*) FILTER (WHERE state = 'failed') AS failed
      FROM herald.alert_messages WHERE alert_id = a.id) m ON true
    ORDER BY a.state = 'firing' DESC, a.started_at DESC
    LIMIT ${limit}`);
  return rows.map((r) => ({
    ...(r as unknown as AlertView),
    since: iso(r.since),
    startedAt: iso(r.startedAt) as string,
    lastSeenAt: iso(r.lastSeenAt) as string,
    resolvedAt: iso(r.resolvedAt),
    acknowledgedAt: iso(r.acknowledgedAt),
    silencedUntil: iso(r.silencedUntil),
  }));
}

export async function listRules(db: Db): Promise<RuleView[]> {
  const { rows } = await db.execute<Record<string, unknown>>(sql`
    SELECT id::int, kind, subscription, enabled, threshold, window_seconds AS "windowSeconds", min_count AS "minCount",
           repeat_seconds AS "repeatSeconds", updated_at AS "updatedAt", updated_by AS "updatedBy"
    FROM herald.alert_rules ORDER BY subscription, kind`);
  return rows.map((r) => ({ ...(r as unknown as RuleView), updatedAt: iso(r.updatedAt) as string }));
}

export async function listDestinations(db: Db, me: Principal): Promise<DestinationView[]> {
  const admin = can(me, 'admin');
  const { rows } = await db.execute<Record<string, unknown>>(sql`
    SELECT d.id::int, d.name, d.kind, d.from_env AS "fromEnv", d.url, d.emails, d.secret IS NOT NULL AS signed,
           l.event AS "lastEvent", l.state AS "lastState", l.last_error AS "lastError",
           coalesce(l.sent_at, l.created_at) AS "lastAt", p.n AS pending
    FROM herald.alert_destinations d
    LEFT JOIN LATERAL (
      SELECT event, state, last_error, sent_at, created_at FROM herald.alert_messages
      WHERE destination_id = d.id ORDER BY id DESC LIMIT 1) l ON true
    CROSS JOIN LATERAL (
      SELECT count(*)::int AS n FROM herald.alert_messages WHERE destination_id = d.id AND state = 'pending') p
    ORDER BY d.name`);
  return rows.map((r) => {
    const { url, emails, ...rest } = r;
    return {
      ...(rest as unknown as DestinationView),
      lastAt: iso(r.lastAt),
      ...(admin ? { url: url as string | null, emails: emails as string[] | null } : {}),
    };
  });
}
