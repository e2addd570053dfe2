import { asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '../db/client';
import { sandboxInactiveAddresses, sandboxSettings } from '../db/schema';

/**
 * The sandbox's controls live in the database (herald.sandbox_settings, one row), so that the
 * dashboard (Next.js) and the sandbox process share them without talking to each other. The
 * sandbox reads them on every request: one indexed single-row read.
 */
export interface SandboxControls {
  maintenanceStartsAt: Date | null;
  maintenanceEndsAt: Date | null;
  /** True when the maintenance window covers the database's now(). */
  inMaintenance: boolean;
  failureRate: number;
  latencyMs: number;
  retryAfterSeconds: number | null;
  webhookDelayMs: number;
  updatedAt: Date;
  updatedBy: string | null;
}

export async function getSandboxControls(db: Executor): Promise<SandboxControls> {
  const [row] = await db
    .select({
      maintenanceStartsAt: sandboxSettings.maintenanceStartsAt,
      maintenanceEndsAt: sandboxSettings.maintenanceEndsAt,
      // The database's clock decides, so every process agrees on when a window ends.
      inMaintenance: sql<boolean>`coalesce(${sandboxSettings.maintenanceStartsAt} <= now()
        AND (${sandboxSettings.maintenanceEndsAt} IS NULL OR now() < ${sandboxSettings.maintenanceEndsAt}), false)`,
      failureRate: sandboxSettings.failureRate,
      latencyMs: sandboxSettings.latencyMs,
      retryAfterSeconds: sandboxSettings.retryAfterSeconds,
      webhookDelayMs: sandboxSettings.webhookDelayMs,
      updatedAt: sandboxSettings.updatedAt,
      updatedBy: sandboxSettings.updatedBy,
    })
    .from(sandboxSettings)
    .where(eq(sandboxSettings.id, 1));
  if (!row) throw new Error('herald.sandbox_settings has no row: run the migrations');
  return row;
}

/** What the dashboard (or the sandbox's admin API) may change; validated before it reaches the database. */
export const sandboxControlsPatch = z
  .object({
    failureRate: z.number().min(0).max(1),
    latencyMs: z.number().int().min(0).max(120_000),
    retryAfterSeconds: z.number().int().min(0).max(86_400).nullable(),
    webhookDelayMs: z.number().int().min(0).max(600_000),
  })
  .partial()
  .strict();
export type SandboxControlsPatch = z.infer<typeof sandboxControlsPatch>;

export async function updateSandboxControls(db: Executor, patch: SandboxControlsPatch, actor: string) {
  const values = sandboxControlsPatch.parse(patch);
  await db
    .update(sandboxSettings)
    .set({ ...values, updatedAt: sql`now()`, updatedBy: actor })
    .where(eq(sandboxSettings.id, 1));
}

/**
 * Puts the sandbox into maintenance (ErrorCode 100 / HTTP 503): from now, or `startsInMs` from
 * now, for `durationMs` (open-ended when omitted, until endSandboxMaintenance).
 */
export async function startSandboxMaintenance(
  db: Executor,
  options: { durationMs?: number; startsInMs?: number; actor: string },
) {
  const startsIn = Math.max(0, Math.round(options.startsInMs ?? 0));
  const starts = sql`now() + ${startsIn} * interval '1 millisecond'`;
  const ends =
    options.durationMs === undefined
      ? null
      : sql`now() + ${startsIn + Math.max(1, Math.round(options.durationMs))} * interval '1 millisecond'`;
  await db
    .update(sandboxSettings)
    .set({
      maintenanceStartsAt: starts,
      maintenanceEndsAt: ends,
      updatedAt: sql`now()`,
      updatedBy: options.actor,
    })
    .where(eq(sandboxSettings.id, 1));
}

export async function endSandboxMaintenance(db: Executor, actor: string) {
  await db
    .update(sandboxSettings)
    .set({ maintenanceStartsAt: null, maintenanceEndsAt: null, updatedAt: sql`now()`, updatedBy: actor })
    .where(eq(sandboxSettings.id, 1));
}

export const inactiveReasons = ['HardBounce', 'SpamComplaint', 'ManualSuppression'] as const;
export type InactiveReason = (typeof inactiveReasons)[number];

/** From now on the sandbox refuses email to this address with ErrorCode 406, like Postmark. */
export async function markAddressInactive(
  db: Executor,
  email: string,
  reason: InactiveReason = 'ManualSuppression',
) {
  await db
    .insert(sandboxInactiveAddresses)
    .values({ email: email.trim().toLowerCase(), reason })
    .onConflictDoUpdate({ target: sandboxInactiveAddresses.email, set: { reason } });
}

export async function reactivateAddress(db: Executor, email: string) {
  await db
    .delete(sandboxInactiveAddresses)
    .where(eq(sandboxInactiveAddresses.email, email.trim().toLowerCase()));
}

export async function listInactiveAddresses(db: Executor) {
  return db.select().from(sandboxInactiveAddresses).orderBy(asc(sandboxInactiveAddresses.email));
}
