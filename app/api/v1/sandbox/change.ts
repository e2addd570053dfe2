import { z } from 'zod';
import type { Principal } from '@/lib/auth/principal';
import { recordAudit } from '@/lib/auth/record-audit';
import type { Db } from '@/lib/db/client';
import {
  endSandboxMaintenance,
  markAddressInactive,
  reactivateAddress,
  startSandboxMaintenance,
  updateSandboxControls,
} from '@/lib/sandbox/settings';

const DAY_SECONDS = 86_400;

/**
 * One change to the email sandbox, as the dashboard's controls send it. Every field is
 * optional, but at least one must be given: an empty change would only add noise to the audit log.
 */
export const SandboxChange = z
  .object({
    maintenance: z
      .discriminatedUnion('action', [
        z
          .object({
            action: z.literal('start'),
            /** 0 = now. */
            startsInSeconds: z.number().int().min(0).max(DAY_SECONDS).default(0),
            /** Omitted = until someone ends it. */
            durationSeconds: z
              .number()
              .int()
              .min(1)
              .max(7 * DAY_SECONDS)
              .optional(),
          })
          .strict(),
        z.object({ action: z.literal('end') }).strict(),
      ])
      .optional(),
    failureRate: z.number().min(0).max(1).optional(),
    latencyMs: z.number().int().min(0).max(120_000).optional(),
    retryAfterSeconds: z.number().int().min(0).max(DAY_SECONDS).nullable().optional(),
    markInactive: z.email().max(320).optional(),
    reactivate: z.email().max(320).optional(),
  })
  .strict()
  .refine((c) => Object.values(c).some((v) => v !== undefined), { message: 'nothing to change' });
export type SandboxChange = z.output<typeof SandboxChange>;

/** Applies the change and its audit entry (`sandbox.update`) in one transaction: both or neither. */
export async function applySandboxChange(db: Db, principal: Principal, change: SandboxChange) {
  await db.transaction(async (tx) => {
    const actor = principal.actor;
    const { maintenance, markInactive, reactivate, ...tuning } = change;
    if (Object.values(tuning).some((v) => v !== undefined)) await updateSandboxControls(tx, tuning, actor);
    if (maintenance?.action === 'start')
      await startSandboxMaintenance(tx, {
        startsInMs: maintenance.startsInSeconds * 1000,
        durationMs:
          maintenance.durationSeconds === undefined ? undefined : maintenance.durationSeconds * 1000,
        actor,
      });
    if (maintenance?.action === 'end') await endSandboxMaintenance(tx, actor);
    if (markInactive) await markAddressInactive(tx, markInactive, 'ManualSuppression');
    if (reactivate) await reactivateAddress(tx, reactivate);
    await recordAudit(tx, { actor, action: 'sandbox.update', target: 'sandbox', details: change });
  });
}
