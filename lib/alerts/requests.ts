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
    subscription: subscriptionName.default('').meta({
      description:
        "'' or absent: the rule for every subscription without its own; a new per-subscription rule starts from that one's numbers (404 for an unknown subscription)",
    }),
    enabled: z.boolean().optional(),
    threshold: z
      .number()
      .min(0)
      .max(1_000_000)
      .optional()
      .meta({ description: 'A percentage for failure_rate (at most 100), a count for dead_growth' }),
    windowSeconds: z.number().int().min(0).max(604_800).optional(),
    minCount: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .optional()
      .meta({ description: 'failure_rate: outcomes in the window before it can fire' }),
    repeatSeconds: z
      .number()
      .int()
      .min(60)
      .max(604_800)
      .optional()
      .meta({ description: 'Sent again this often while firing and not acknowledged' }),
    reason: z.string().max(1000).optional(),
  })
  .strict()
  .meta({ description: 'Fields not given keep their value' })
  .refine((r) => r.kind !== 'failure_rate' || r.threshold === undefined || r.threshold <= 100, {
    path: ['threshold'],
    message: 'a percentage: at most 100',
  });
export type RuleChange = z.input<typeof RuleChange>;

export const Silence = z
  .object({
    /** How long; 0 lifts a silence. At most 7 days. */
    minutes: z
      .number()
      .int()
      .min(0)
      .max(10_080)
      .meta({ description: 'How long (at most 7 days); 0 lifts a silence' }),
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
      secret: z
        .string()
        .min(16, 'at least 16 characters')
        .max(200)
        .optional()
        .meta({ description: 'HMAC signing secret; when absent one is generated and returned once' }),
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
