import { sql } from 'drizzle-orm';
import type { Principal } from '../auth/principal';
import type { Db } from '../db/client';
import { HeraldError } from '../errors';
import { CONCURRENCY_RANGE, isConcurrency, RATE_MAX } from '../subscriptions/limits';
import { reasonOf, requireAllowed } from './policy';

export interface TuningRequest {
  name: string;
  /** Handlers at once per worker process; null: back to the declared value; absent: unchanged. */
  concurrency?: number | null;
  /** Sends per second across all workers; 0: no limit; null: back to the declared one; absent: unchanged. */
  ratePerSecond?: number | null;
  reason?: string | null;
}

/** A subscription's tuning: what is in force, what the code declares, what an operator set. */
export interface SubscriptionTuning {
  name: string;
  /** In force: the override, else the declared value. */
  concurrency: number;
  /** In force; null: no limit. */
  ratePerSecond: number | null;
  declaredConcurrency: number;
  declaredRatePerSecond: number | null;
  /** An operator's concurrency; null: none, the declared one is in force. */
  concurrencyOverride: number | null;
  /** An operator's rate; 0: the declared limit lifted; null: none, the declared one is in force. */
  rateOverride: number | null;
  tunedBy: string | null;
  tunedAt: Date | null;
}

export interface TuningChange extends SubscriptionTuning {
  /** False when the subscription already had those settings (nothing written, nothing audited). */
  changed: boolean;
}

const noSuchSubscription = (name: string) =>
  new HeraldError('not_found', `No subscription ${JSON.stringify(name.slice(0, 100))}.`);

/** The tuning of one subscription (anyone who may read; `not_found` for an unknown name). */
export async function readSubscriptionTuning(
  db: Pick<Db, 'execute'>,
  name: string,
): Promise<SubscriptionTuning> {
  const row = await readTuningRow(db, name, false);
  if (!row) throw noSuchSubscription(name);
  return present(row);
}

function invalid(path: string, message: string): never {
  throw new HeraldError('invalid_request', `${path}: ${message}.`, [{ path, message }]);
}

/**
 * Change a subscription's concurrency and send rate without a deploy (issue #21 item 4), with the
 * policy every way in shares (lib/operations/policy.ts; the console, the CLI and the API call this):
 * - who: `subscriptions:operate` (operators and up) — else `forbidden`;
 * - what: at least one of concurrency (an integer from 1 to CONCURRENCY_MAX, 10,000; or null for
 *   the declared value) and ratePerSecond (0 < r ≤ RATE_MAX, 100,000; 0 for no limit; or null for
 *   the declared one) — else `invalid_request` at that path; the reason is optional (trimmed,
 *   ≤ 1,000 characters);
 * - unknown name: `not_found`.
 * The change, its audit entry (`subscription.tune`, before and after) and NOTIFY herald_tuning
 * commit together; running workers apply it at once, or within TUNING_POLL_MS (worker/tuning.ts).
 */
export async function setSubscriptionTuning(
  db: Db,
  me: Principal,
  request: TuningRequest,
): Promise<TuningChange> {
  requireAllowed(me, 'subscriptions:operate', 'change the concurrency or rate of subscriptions');
  const { concurrency, ratePerSecond } = request;
  if (concurrency === undefined && ratePerSecond === undefined)
    invalid('concurrency', 'give a concurrency, a rate, or both');
  if (concurrency !== undefined && concurrency !== null && !isConcurrency(concurrency))
    invalid('concurrency', CONCURRENCY_RANGE);
  if (
    ratePerSecond !== undefined &&
    ratePerSecond !== null &&
    !(Number.isFinite(ratePerSecond) && ratePerSecond >= 0 && ratePerSecond <= RATE_MAX)
  )
    invalid('ratePerSecond', `a number of sends per second up to ${RATE_MAX}, or 0 for no limit`);
  const reason = reasonOf(request.reason);
  return db.transaction(async (tx) => {
    const before = await readTuningRow(tx, request.name, true);
    if (!before) throw noSuchSubscription(request.name);
    const next = {
      concurrency: concurrency === undefined ? before.concurrency_override : concurrency,
      rate: ratePerSecond === undefined ? before.rate_override : ratePerSecond,
    };
    const changed = next.concurrency !== before.concurrency_override || next.rate !== before.rate_override;
    if (!changed) return { ...present(before), changed };
    await tx.execute(sql`
      UPDATE herald.subscriptions
      SET concurrency_override = ${next.concurrency}, rate_override = ${next.rate},
          tuned_by = ${me.actor}, tuned_at = now(), updated_at = now()
      WHERE name = ${request.name}`);
    const after = (await readTuningRow(tx, request.name, false))!;
    await tx.execute(sql`
      INSERT INTO herald.audit_log (actor, action, target, reason, details)
      VALUES (${me.actor}, 'subscription.tune', ${`subscription:${request.name}`}, ${reason ?? null},
              ${JSON.stringify({ before: inForce(before), after: inForce(after) })}::jsonb)`);
    await tx.execute(sql`SELECT pg_notify('herald_tuning', '')`);
    return { ...present(after), changed };
  });
}

interface TuningRow extends Record<string, unknown> {
  name: string;
  concurrency: number;
  rate_per_second: number | null;
  concurrency_override: number | null;
  rate_override: number | null;
  tuned_by: string | null;
  tuned_at: Date | null;
}

async function readTuningRow(
  tx: Pick<Db, 'execute'>,
  name: string,
  lock: boolean,
): Promise<TuningRow | undefined> {
  const { rows } = await tx.execute<TuningRow>(sql`
    SELECT name, concurrency, rate_per_second, concurrency_override, rate_override, tuned_by, tuned_at
    FROM herald.subscriptions WHERE name = ${name} ${lock ? sql`FOR UPDATE` : sql``}`);
  return rows[0];
}

function inForce(row: TuningRow) {
  const rate = row.rate_override ?? row.rate_per_second;
  return { concurrency: row.concurrency_override ?? row.concurrency, ratePerSecond: rate || null };
}

function present(row: TuningRow): SubscriptionTuning {
  return {
    name: row.name,
    ...inForce(row),
    declaredConcurrency: row.concurrency,
    declaredRatePerSecond: row.rate_per_second,
    concurrencyOverride: row.concurrency_override,
    rateOverride: row.rate_override,
    tunedBy: row.tuned_by,
    tunedAt: row.tuned_at === null ? null : new Date(row.tuned_at),
  };
}
