import { sql } from 'drizzle-orm';
import type { Principal } from '../auth/principal';
import type { Db } from '../db/client';
import { HeraldError } from '../errors';
import { subscriptionExists } from '../queries/subscriptions';
import type { Actor } from './deliveries';
import { reasonOf, requireAllowed } from './policy';

/**
 * Pausing a subscription stops claims (deliveries keep being created and wait); resuming
 * wakes the workers. Both are audited. Returns false when the state did not change or no such
 * subscription exists. No permission check: callers are trusted (tests, tools); people and API
 * keys come through setSubscriptionPaused below.
 */
async function setPaused(db: Db, name: string, paused: boolean, who: Actor): Promise<boolean> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.execute<{ name: string }>(sql`
      UPDATE herald.subscriptions
      SET paused = ${paused}, paused_reason = ${paused ? (who.reason ?? null) : null},
          paused_by = ${paused ? who.actor : null}, paused_at = ${paused ? sql`now()` : null}, updated_at = now()
      WHERE name = ${name} AND paused <> ${paused}
      RETURNING name`);
    if (rows.length === 0) return false;
    await tx.execute(sql`
      INSERT INTO herald.audit_log (actor, action, target, reason)
      VALUES (${who.actor}, ${paused ? 'subscription.pause' : 'subscription.resume'}, ${`subscription:${name}`}, ${who.reason ?? null})`);
    if (!paused) await tx.execute(sql`SELECT herald.wake_workers()`);
    return true;
  });
}

export const pauseSubscription = (db: Db, name: string, who: Actor) => setPaused(db, name, true, who);
export const resumeSubscription = (db: Db, name: string, who: Actor) => setPaused(db, name, false, who);

/**
 * Pause or resume a subscription, with the policy every way in shares (lib/operations/policy.ts):
 * - who: `subscriptions:operate` (operators and up, `operate` keys) — else `forbidden`;
 * - reason: required to pause, from the dashboard and the API alike (until issue #19 the API
 *   took none): a paused subscription holds customers' messages back, and the reason is what
 *   support staff read on every waiting delivery — else `invalid_request` at path `reason`.
 *   Optional to resume. Trimmed, at most 1,000 characters;
 * - unknown name: `not_found` (the dashboard used to say "already paused");
 * - already in that state: no error, `changed: false`, nothing audited.
 */
export async function setSubscriptionPaused(
  db: Db,
  me: Principal,
  request: { name: string; paused: boolean; reason?: string | null },
): Promise<{ name: string; paused: boolean; changed: boolean }> {
  const { name, paused } = request;
  requireAllowed(me, 'subscriptions:operate', 'pause or resume subscriptions');
  const reason = reasonOf(
    request.reason,
    paused ? 'it is shown to everyone who finds messages waiting, and recorded in the audit log.' : undefined,
  );
  if (!(await subscriptionExists(db, name)))
    throw new HeraldError('not_found', `No subscription ${JSON.stringify(name.slice(0, 100))}.`);
  const changed = await setPaused(db, name, paused, { actor: me.actor, reason });
  return { name, paused, changed };
}
