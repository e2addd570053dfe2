import type pg from 'pg';
import { type AlertKind, alertKinds } from '../db/schema';
import { alertKindInfo, defaultRules } from './kinds';
import { type AlertFacts, alertMessage } from './message';
import { conditions, type Finding, type RuleTarget } from './rules';
import type { EnvDestination } from './settings';

/**
 * One round of alert rules: which conditions hold now (./rules.ts), which alerts start, repeat
 * or resolve, and the messages each of those queues for every destination (sent by ./sender.ts).
 * All in one transaction under an advisory lock, so one process evaluates at a time (the
 * maintenance leader of the moment; any worker takes over when it dies) and an alert's state
 * and its messages are committed together.
 */

/** pg_try_advisory_xact_lock key of the evaluator (roll_up uses 7244211902). */
export const ALERT_LOCK = 7244211903;

export interface EvaluateOptions {
  publicUrl: string;
  envDestinations: EnvDestination[];
}

export interface Evaluation {
  /** False when another process holds the lock this round. */
  evaluated: boolean;
  fired: number;
  repeated: number;
  resolved: number;
}

interface RuleRow {
  id: number;
  kind: AlertKind;
  subscription: string;
  enabled: boolean;
  threshold: number;
  windowSeconds: number;
  minCount: number;
  repeatSeconds: number;
}

interface AlertRowLite {
  id: number;
  ruleId: number;
  kind: AlertKind;
  subscription: string;
  startedAt: Date;
  since: Date | null;
  notifiedAt: Date | null;
  acknowledgedAt: Date | null;
  silencedUntil: Date | null;
  summary: string;
}

type Client = pg.PoolClient;

/** The default rules, written when missing (lib/alerts/kinds.ts says why each number). */
async function ensureDefaultRules(client: Client) {
  const kinds = Object.keys(defaultRules) as AlertKind[];
  await client.query(
    `INSERT INTO herald.alert_rules (kind, subscription, threshold, window_seconds, min_count, repeat_seconds, updated_by)
     SELECT k, '', t, w, m, r, 'defaults' FROM unnest($1::text[], $2::float8[], $3::int[], $4::int[], $5::int[]) AS d(k, t, w, m, r)
     ON CONFLICT (kind, subscription) DO NOTHING`,
    [
      kinds,
      kinds.map((k) => defaultRules[k].threshold),
      kinds.map((k) => defaultRules[k].windowSeconds),
      kinds.map((k) => defaultRules[k].minCount),
      kinds.map((k) => defaultRules[k].repeatSeconds),
    ],
  );
}

/** `env:` destinations follow the environment of the process that evaluates. */
async function syncEnvDestinations(client: Client, wanted: EnvDestination[]) {
  await client.query(
    `DELETE FROM herald.alert_destinations WHERE from_env AND NOT (name = ANY ($1::text[]))`,
    [wanted.map((d) => d.name)],
  );
  for (const d of wanted)
    await client.query(
      `INSERT INTO herald.alert_destinations (name, kind, url, secret, from_env, created_by)
       VALUES ($1, $2, $3, $4, true, 'environment')
       ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, url = excluded.url, secret = excluded.secret, from_env = true
       WHERE (herald.alert_destinations.kind, herald.alert_destinations.url, herald.alert_destinations.secret)
             IS DISTINCT FROM (excluded.kind, excluded.url, excluded.secret)`,
      [d.name, d.kind, d.url, d.secret],
    );
}

/**
 * Which rule applies to each subscription for a kind: its own, else the global one ('' ), and
 * only when enabled.
 */
export function targetsOf(kind: AlertKind, rules: RuleRow[], subscriptions: string[]): Map<string, RuleRow> {
  const global = rules.find((r) => r.kind === kind && r.subscription === '');
  const targets = new Map<string, RuleRow>();
  for (const name of subscriptions) {
    const rule = rules.find((r) => r.kind === kind && r.subscription === name) ?? global;
    if (rule?.enabled) targets.set(name, rule);
  }
  return targets;
}

async function enqueue(client: Client, alertId: number | null, event: string, payload: unknown) {
  await client.query(
    `INSERT INTO herald.alert_messages (destination_id, alert_id, event, payload)
     SELECT id, $1, $2, $3 FROM herald.alert_destinations ORDER BY id`,
    [alertId, event, JSON.stringify(payload)],
  );
}

const facts = (a: AlertRowLite, resolvedAt: Date | null = null): AlertFacts => ({
  id: a.id,
  kind: a.kind,
  subscription: a.subscription,
  summary: a.summary,
  since: a.since,
  startedAt: a.startedAt,
  resolvedAt,
});

const ALERT_COLUMNS = `id::int, rule_id::int AS "ruleId", kind, subscription, started_at AS "startedAt", since,
  notified_at AS "notifiedAt", acknowledged_at AS "acknowledgedAt", silenced_until AS "silencedUntil", summary`;

export async function evaluateAlerts(pool: pg.Pool, options: EvaluateOptions): Promise<Evaluation> {
  const result: Evaluation = { evaluated: false, fired: 0, repeated: 0, resolved: 0 };
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows: lock } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [
      ALERT_LOCK,
    ]);
    if (!lock[0]?.ok) {
      await client.query('ROLLBACK');
      return result;
    }
    result.evaluated = true;
    await ensureDefaultRules(client);
    await syncEnvDestinations(client, options.envDestinations);
    const { rows: rules } = await client.query<RuleRow>(
      `SELECT id::int, kind, subscription, enabled, threshold, window_seconds AS "windowSeconds",
              min_count AS "minCount", repeat_seconds AS "repeatSeconds" FROM herald.alert_rules`,
    );
    const { rows: subs } = await client.query<{ name: string }>('SELECT name FROM herald.subscriptions');
    const names = subs.map((s) => s.name);

    // What holds now: rule id + subscription → finding.
    const holding = new Map<string, { rule: RuleRow; finding: Finding }>();
    for (const kind of alertKinds) {
      const targets = targetsOf(kind, rules, names);
      if (targets.size === 0) continue;
      const list: RuleTarget[] = [...targets].map(([subscription, r]) => ({
        subscription,
        threshold: r.threshold,
        windowSeconds: r.windowSeconds,
        minCount: r.minCount,
      }));
      for (const finding of await conditions[kind](client, list)) {
        const rule = targets.get(finding.subscription);
        if (rule) holding.set(`${rule.id}/${finding.subscription}`, { rule, finding });
      }
    }

    const { rows: firing } = await client.query<AlertRowLite>(
      `SELECT ${ALERT_COLUMNS} FROM herald.alerts WHERE state = 'firing' FOR UPDATE`,
    );
    const now = new Date();
    const quiet = (a: { acknowledgedAt: Date | null; silencedUntil: Date | null }) =>
      a.acknowledgedAt !== null || (a.silencedUntil !== null && a.silencedUntil > now);

    for (const alert of firing) {
      const key = `${alert.ruleId}/${alert.subscription}`;
      const held = holding.get(key);
      holding.delete(key);
      if (!held) {
        // Cleared (or its rule was switched off): resolved, said to whoever heard it fire.
        await client.query(`UPDATE herald.alerts SET state = 'resolved', resolved_at = now() WHERE id = $1`, [
          alert.id,
        ]);
        result.resolved++;
        const silenced = alert.silencedUntil !== null && alert.silencedUntil > now;
        if (alert.notifiedAt && !silenced)
          await enqueue(
            client,
            alert.id,
            'resolved',
            alertMessage('resolved', facts(alert, now), options.publicUrl, now),
          );
        continue;
      }
      const updated = { ...alert, summary: held.finding.summary, since: held.finding.since ?? alert.since };
      const due =
        !quiet(alert) &&
        (alert.notifiedAt === null ||
          now.getTime() - alert.notifiedAt.getTime() >= held.rule.repeatSeconds * 1000);
      await client.query(
        `UPDATE herald.alerts SET summary = $2, value = $3, since = coalesce($4, since), last_seen_at = now(),
                notified_at = CASE WHEN $5 THEN now() ELSE notified_at END
         WHERE id = $1`,
        [alert.id, held.finding.summary, held.finding.value, held.finding.since, due],
      );
      if (due) {
        const event = alert.notifiedAt === null ? 'firing' : 'repeat';
        await enqueue(client, alert.id, event, alertMessage(event, facts(updated), options.publicUrl, now));
        result.repeated++;
      }
    }

    for (const { rule, finding } of holding.values()) {
      // A silence set on an earlier episode of the same rule and subscription still holds.
      const { rows } = await client.query<AlertRowLite>(
        `INSERT INTO herald.alerts (rule_id, kind, subscription, severity, summary, value, since, silenced_until, silenced_by, notified_at)
         SELECT $1, $2, $3, $4, $5, $6, $7, s.silenced_until, s.silenced_by,
                CASE WHEN s.silenced_until IS NULL THEN now() END
         FROM (SELECT NULL) x
         LEFT JOIN LATERAL (
           SELECT silenced_until, silenced_by FROM herald.alerts p
           WHERE p.rule_id = $1 AND p.subscription = $3 AND p.silenced_until > now()
           ORDER BY p.silenced_until DESC LIMIT 1) s ON true
         RETURNING ${ALERT_COLUMNS}`,
        [
          rule.id,
          rule.kind,
          finding.subscription,
          alertKindInfo[rule.kind].severity,
          finding.summary,
          finding.value,
          finding.since,
        ],
      );
      const alert = rows[0];
      result.fired++;
      if (alert?.notifiedAt)
        await enqueue(
          client,
          alert.id,
          'firing',
          alertMessage('firing', facts(alert), options.publicUrl, now),
        );
    }

    // History: sent messages after 30 days, resolved alerts after 90, a batch per round.
    await client.query(
      `DELETE FROM herald.alert_messages WHERE id IN (
         SELECT id FROM herald.alert_messages WHERE state <> 'pending' AND created_at < now() - interval '30 days' LIMIT 1000)`,
    );
    await client.query(
      `DELETE FROM herald.alerts WHERE id IN (
         SELECT id FROM herald.alerts WHERE state = 'resolved' AND resolved_at < now() - interval '90 days' LIMIT 1000)`,
    );
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
