import { z } from 'zod';
import { alertDestinationKinds, alertKinds } from '../db/schema';

/**
 * What people may ask of alerts, validated once for the API, the dashboard and the CLI. Bad
 * input becomes 422 `invalid_request` with the field's path (lib/alerts/operations.ts).
 */

const subscriptionName = z
  .string()
  .regex(/^([a-z0-9][a-z0-9._-]{0,99})?$/, 'a subscription name, or empty for every subscription');

export const RuleChange = z
  .object({
    kind: z.enum(alertKinds),
    /** '' (or absent): the rule for every subscription without its own. */
    subscription: subscriptionName.default(''),
    enabled: z.boolean().optional(),
    threshold: z.number().min(0).max(1_000_000).optional(),
    windowSeconds: z.number().int().min(0).max(604_800).optional(),
    minCount: z.number().int().min(0).max(1_000_000).optional(),
    repeatSeconds: z.number().int().min(60).max(604_800).optional(),
    reason: z.string().max(1000).optional(),
  })
  .strict()
  .refine((r) => r.kind !== 'failure_rate' || r.threshold === undefined || r.threshold <= 100, {
    path: ['threshold'],
    message: 'a percentage: at most 100',
  });
export type RuleChange = z.input<typeof RuleChange>;

export const Silence = z
  .object({
    /** How long; 0 lifts a silence. At most 7 days. */
    minutes: z.number().int().min(0).max(10_080),
    reason: z.string().max(1000).optional(),
  })
  .strict();

export const Acknowledge = z.object({ reason: z.string().max(1000).optional() }).strict();

const httpUrl = z.url({ protocol: /^https?$/ }).max(2000);

export const NewDestination = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('slack'),
      name: z.string().trim().min(1).max(100),
      url: httpUrl,
    })
    .strict(),
  z
    .object({
      kind: z.literal('webhook'),
      name: z.string().trim().min(1).max(100),
      url: httpUrl,
      /** Signing secret; generated (and shown once) when absent. */
      secret: z.string().min(16, 'at least 16 characters').max(200).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('email'),
      name: z.string().trim().min(1).max(100),
      emails: z.array(z.email()).min(1).max(50),
    })
    .strict(),
]);
export type NewDestination = z.input<typeof NewDestination>;
export const destinationKinds = alertDestinationKinds;
