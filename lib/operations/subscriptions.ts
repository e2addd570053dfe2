import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import type { Actor } from './deliveries';

/**
 * Pausing a subscription stops claims (deliveries keep being created and wait); resuming
 * wakes the workers. Both are audited. Returns false when the state did not change.
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
