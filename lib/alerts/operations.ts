import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { z } from 'zod';
import type { Principal } from '../auth/principal';
import { formatPath } from '../channels/registry';
import type { Db } from '../db/client';
import { HeraldError } from '../errors';
import { reasonOf, requireAllowed } from '../operations/policy';
import { defaultRules } from './kinds';
import { testMessage } from './message';
import { Acknowledge, NewDestination, RuleChange, Silence } from './requests';

/**
 * Changing alerts, with the policy every way in shares (lib/operations/policy.ts): who may
 * (operators acknowledge, silence, edit rules and send tests: `subscriptions:operate`; admins add
 * and remove destinations: `admin`) → is the request valid (422 with the field's path) → does
 * the target exist (404) → does its state allow it (409). Each change is audited in the same
 * transaction; destination URLs and secrets never reach the audit log.
 */

function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  throw new HeraldError(
    'invalid_request',
    `The request is invalid: ${r.error.issues[0]?.message ?? 'check the fields'}.`,
    r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
  );
}

const audit = (
  tx: Pick<Db, 'execute'>,
  me: Principal,
  action: string,
  target: string,
  reason?: string,
  details?: unknown,
) =>
  tx.execute(sql`
    INSERT INTO herald.audit_log (actor, action, target, reason, details)
    VALUES (${me.actor}, ${action}, ${target}, ${reason ?? null}, ${details === undefined ? null : JSON.stringify(details)}::jsonb)`);

/** Stops repeats of a firing alert; "resolved" is still sent when it clears. */
export async function acknowledgeAlert(db: Db, me: Principal, id: number, body?: unknown) {
  requireAllowed(me, 'subscriptions:operate', 'acknowledge alerts');
  const { reason } = parse(Acknowledge, body);
  return db.transaction(async (tx) => {
    const { rows } = await tx.execute<{ state: string; acknowledged: boolean }>(sql`
      SELECT state, acknowledged_at IS NOT NULL AS acknowledged FROM herald.alerts WHERE id = ${id} FOR UPDATE`);
    const alert = rows[0];
    if (!alert) throw new HeraldError('not_found', `No alert ${id}.`);
    if (alert.state !== 'firing') throw new HeraldError('conflict', `Alert ${id} is already resolved.`);
    if (alert.acknowledged) return { id, changed: false };
    await tx.execute(sql`
      UPDATE herald.alerts SET acknowledged_at = now(), acknowledged_by = ${me.actor} WHERE id = ${id}`);
    await audit(tx, me, 'alert.acknowledge', `alert:${id}`, reasonOf(reason));
    return { id, changed: true };
  });
}

/**
 * No messages about this alert (nor a new episode of the same rule and subscription) until the
 * silence ends; `minutes: 0` lifts it.
 */
export async function silenceAlert(db: Db, me: Principal, id: number, body: unknown) {
  requireAllowed(me, 'subscriptions:operate', 'silence alerts');
  const { minutes, reason } = parse(Silence, body);
  return db.transaction(async (tx) => {
    const { rows } = await tx.execute<{ until: string | null }>(sql`
      UPDATE herald.alerts
      SET silenced_until = CASE WHEN ${minutes}::int = 0 THEN NULL ELSE now() + ${minutes}::int * interval '1 minute' END,
          silenced_by = CASE WHEN ${minutes}::int = 0 THEN NULL ELSE ${me.actor} END
      WHERE id = ${id}
      RETURNING silenced_until AS until`);
    if (!rows[0]) throw new HeraldError('not_found', `No alert ${id}.`);
    await audit(
      tx,
      me,
      minutes === 0 ? 'alert.unsilence' : 'alert.silence',
      `alert:${id}`,
      reasonOf(reason),
      {
        minutes,
      },
    );
    // Raw statements hand timestamps back as PostgreSQL's text ("2026-12-03 11:20:00+00"); the
    // API answers RFC 3339 like everywhere else (the OpenAPI document says date-time).
    const until = rows[0].until;
    return { id, silencedUntil: until === null ? null : new Date(until).toISOString() };
  });
}

/**
 * Creates or changes the rule for (kind, subscription). A new per-subscription rule starts from
 * the global one's numbers; fields not given keep their value.
 */
export async function setAlertRule(db: Db, me: Principal, body: unknown) {
  requireAllowed(me, 'subscriptions:operate', 'change alert rules');
  const change = parse(RuleChange, body);
  const { kind, subscription } = change;
  return db.transaction(async (tx) => {
    if (subscription) {
      const { rows } = await tx.execute(sql`SELECT 1 FROM herald.subscriptions WHERE name = ${subscription}`);
      if (rows.length === 0)
        throw new HeraldError('not_found', `No subscription ${JSON.stringify(subscription)}.`);
    }
    const d = defaultRules[kind];
    // The starting point: this rule, else the global one, else the defaults.
    const { rows: base } = await tx.execute<{
      enabled: boolean;
      threshold: number;
      windowSeconds: number;
      minCount: number;
      repeatSeconds: number;
    }>(sql`
      SELECT enabled, threshold, window_seconds AS "windowSeconds", min_count AS "minCount", repeat_seconds AS "repeatSeconds"
      FROM herald.alert_rules WHERE kind = ${kind} AND subscription IN (${subscription}, '')
      ORDER BY subscription DESC LIMIT 1 FOR UPDATE`);
    const before = base[0] ?? { enabled: true, ...d };
    const after = {
      enabled: change.enabled ?? before.enabled,
      threshold: change.threshold ?? before.threshold,
      windowSeconds: change.windowSeconds ?? before.windowSeconds,
      minCount: change.minCount ?? before.minCount,
      repeatSeconds: change.repeatSeconds ?? before.repeatSeconds,
    };
    const { rows } = await tx.execute<{ id: number }>(sql`
      INSERT INTO herald.alert_rules AS r (kind, subscription, enabled, threshold, window_seconds, min_count, repeat_seconds, updated_by)
      VALUES (${kind}, ${subscription}, ${after.enabled}, ${after.threshold}, ${after.windowSeconds}, ${after.minCount}, ${after.repeatSeconds}, ${me.actor})
      ON CONFLICT (kind, subscription) DO UPDATE
      SET enabled = excluded.enabled, threshold = excluded.threshold, window_seconds = excluded.window_seconds,
          min_count = excluded.min_count, repeat_seconds = excluded.repeat_seconds, updated_by = excluded.updated_by, updated_at = now()
      RETURNING id::int`);
    await audit(
      tx,
      me,
      'alert.rule_set',
      `alert-rule:${kind}:${subscription || '*'}`,
      reasonOf(change.reason),
      {
        before,
        after,
      },
    );
    return { id: rows[0]?.id, kind, subscription, ...after };
  });
}

/** Adds a destination; a webhook without a secret gets one, returned in this answer only. */
export async function addAlertDestination(db: Db, me: Principal, body: unknown) {
  requireAllowed(me, 'admin', 'add alert destinations');
  const d = parse(NewDestination, body);
  if (d.name.startsWith('env:'))
    throw new HeraldError('invalid_request', 'Names starting with "env:" are kept for the environment.', [
      { path: 'name', message: 'reserved prefix env:' },
    ]);
  const secret = d.kind === 'webhook' ? (d.secret ?? `whsec_${randomBytes(32).toString('base64')}`) : null;
  return db.transaction(async (tx) => {
    const { rows } = await tx.execute<{ id: number }>(sql`
      INSERT INTO herald.alert_destinations (name, kind, url, secret, emails, created_by)
      VALUES (${d.name}, ${d.kind}, ${d.kind === 'email' ? null : d.url}, ${secret},
              ${
                d.kind === 'email'
                  ? sql`ARRAY[${sql.join(
                      d.emails.map((e) => sql`${e}`),
                      sql`, `,
                    )}]::text[]`
                  : sql`NULL`
              }, ${me.actor})
      ON CONFLICT (name) DO NOTHING
      RETURNING id::int`);
    const id = rows[0]?.id;
    if (id === undefined)
      throw new HeraldError('conflict', `A destination named ${JSON.stringify(d.name)} exists.`);
    await audit(tx, me, 'alert.destination_add', `alert-destination:${d.name}`, undefined, { kind: d.kind });
    return { id, name: d.name, kind: d.kind, ...(d.kind === 'webhook' && !d.secret ? { secret } : {}) };
  });
}

export async function removeAlertDestination(db: Db, me: Principal, id: number) {
  requireAllowed(me, 'admin', 'remove alert destinations');
  return db.transaction(async (tx) => {
    const { rows } = await tx.execute<{ name: string; fromEnv: boolean }>(sql`
      SELECT name, from_env AS "fromEnv" FROM herald.alert_destinations WHERE id = ${id} FOR UPDATE`);
    const d = rows[0];
    if (!d) throw new HeraldError('not_found', `No alert destination ${id}.`);
    if (d.fromEnv)
      throw new HeraldError(
        'conflict',
        `${d.name} is set by the environment (HERALD_ALERT_*_URL): change it there.`,
      );
    await tx.execute(sql`DELETE FROM herald.alert_destinations WHERE id = ${id}`);
    await audit(tx, me, 'alert.destination_remove', `alert-destination:${d.name}`);
    return { id, removed: true };
  });
}

/** Queues a test message for one destination; a worker sends it like any alert (same path). */
export async function testAlertDestination(db: Db, me: Principal, id: number, publicUrl: string) {
  requireAllowed(me, 'subscriptions:operate', 'send test alerts');
  return db.transaction(async (tx) => {
    const { rows } = await tx.execute<{ name: string }>(
      sql`SELECT name FROM herald.alert_destinations WHERE id = ${id}`,
    );
    const d = rows[0];
    if (!d) throw new HeraldError('not_found', `No alert destination ${id}.`);
    const { rows: queued } = await tx.execute<{ id: number }>(sql`
      INSERT INTO herald.alert_messages (destination_id, event, payload)
      VALUES (${id}, 'test', ${JSON.stringify(testMessage(d.name, me.actor, publicUrl))}::jsonb)
      RETURNING id::int`);
    await audit(tx, me, 'alert.destination_test', `alert-destination:${d.name}`);
    return { destination: id, message: queued[0]?.id };
  });
}
