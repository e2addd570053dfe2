import { z } from 'zod';
import { Acknowledge, NewDestination, RuleChange, Silence } from '../alerts/requests';
import { alertDestinationKinds, alertKinds, alertStates, deliveryStates } from '../db/schema';
import { CONCURRENCY_MAX, RATE_MAX } from '../subscriptions/limits';
import { badString } from './json-inspect';

/**
 * The HTTP API's shapes, in zod: route handlers validate with them and the OpenAPI document
 * (lib/http/openapi.ts) is generated from them, so the two cannot drift apart.
 */

/**
 * The API's named schemas: each becomes `#/components/schemas/<id>` in the OpenAPI document.
 * A registry of our own, so schemas other modules name (zod's global registry) stay out of it.
 */
export const apiSchemas = z.registry<{ id: string }>();

/** A string PostgreSQL can store: no `\u0000`, no lone surrogates. */
export const text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => badString(s) === null, 'must not contain \\u0000 or a lone UTF-16 surrogate');

const isoTime = z.iso
  .datetime({ offset: true })
  .meta({ description: 'RFC 3339 time, e.g. 2026-05-01T12:00:00Z' });
const positiveId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export const deliveryState = z.enum(deliveryStates);

export const PublishRequest = z
  .strictObject({
    channel: z
      .string()
      .min(1)
      .max(200)
      .meta({ description: 'A channel of this installation, e.g. order.approved' }),
    payload: z
      .unknown()
      .refine((v) => v !== undefined, 'required')
      .meta({ description: "Validated against the channel's schema" }),
    key: text(500).optional().meta({ description: 'Business key for lookup, e.g. order:1042 or an email' }),
    idempotencyKey: text(500).optional().meta({
      description: 'Unique per channel: a repeat answers 200 with the first event and publishes nothing',
    }),
    runAt: isoTime.optional().meta({ description: 'Deliver no earlier than this time' }),
  })
  .register(apiSchemas, { id: 'PublishRequest' });

export const MAX_BATCH = 1_000;
export const BatchRequest = z
  .strictObject({ events: z.array(PublishRequest).min(1).max(MAX_BATCH) })
  .register(apiSchemas, { id: 'BatchRequest' });

export const DeliverySummary = z
  .object({ id: positiveId, subscription: z.string(), state: deliveryState })
  .register(apiSchemas, { id: 'DeliverySummary' });

export const PublishResponse = z
  .object({
    id: positiveId,
    channel: z.string(),
    key: z.string().nullable(),
    duplicate: z.boolean().meta({ description: 'True when the idempotency key had been used' }),
    deliveries: z.array(DeliverySummary),
  })
  .register(apiSchemas, { id: 'PublishResponse' });

export const BatchResponse = z
  .object({
    events: z.array(
      z.object({ id: positiveId, channel: z.string(), key: z.string().nullable(), duplicate: z.boolean() }),
    ),
  })
  .register(apiSchemas, { id: 'BatchResponse' });

const limit = z.coerce.number().int().min(1).max(200).default(50);
const cursor = text(200).optional().meta({ description: 'nextCursor from the previous page' });

export const EventsQuery = z.strictObject({
  channel: text(200).optional(),
  key: text(500).optional().meta({
    description:
      'Exact business key. Without read:payloads, a key holding an email address or phone number (masked in answers) is refused with 403',
  }),
  subscription: text(100).optional().meta({ description: 'Events with a delivery to this subscription' }),
  state: deliveryState.optional().meta({ description: 'Events with a delivery in this state' }),
  since: isoTime.optional().meta({ description: 'Created at or after' }),
  until: isoTime.optional().meta({ description: 'Created before' }),
  cursor,
  limit,
});

export const DeliveriesQuery = z.strictObject({
  state: deliveryState.optional(),
  subscription: text(100).optional(),
  channel: text(200).optional(),
  eventId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  since: isoTime.optional().meta({ description: 'Last changed at or after' }),
  until: isoTime.optional().meta({ description: 'Last changed before' }),
  cursor,
  limit,
});

/** Channel and subscription names as the registry and herald.subscriptions spell them. */
const feedName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,199}$/, 'not a valid name');

/** GET /api/v1/feed (the live page): newest rows, or those after the previous answer's cursor. */
export const FeedQuery = z.strictObject({
  channel: feedName.optional(),
  subscription: feedName.optional(),
  after: z.string().max(100).optional().meta({ description: 'cursor of the previous answer' }),
  limit,
});

const time = z.iso.datetime({ offset: true });
const payloadOut = z.unknown().meta({ description: 'Masked unless the caller may read payloads' });

export const Attempt = z
  .object({
    id: positiveId,
    attempt: z.number().int(),
    worker: z.string().nullable(),
    startedAt: time,
    finishedAt: time,
    outcome: z.enum(['succeeded', 'failed', 'dead', 'lost']),
    errorCode: z.string().nullable(),
    error: z.string().nullable(),
    result: payloadOut,
    manual: z.boolean(),
    nextRunAt: time.nullable(),
  })
  .register(apiSchemas, { id: 'Attempt' });

export const Delivery = z
  .object({
    id: positiveId,
    eventId: positiveId,
    channel: z.string(),
    eventKey: z.string().nullable(),
    subscription: z.string(),
    state: deliveryState,
    attempts: z.number().int(),
    runAt: time,
    lastError: z.string().nullable(),
    createdAt: time,
    updatedAt: time,
    finishedAt: time.nullable(),
  })
  .register(apiSchemas, { id: 'Delivery' });

export const EventSummary = z
  .object({
    id: positiveId,
    channel: z.string(),
    key: z.string().nullable(),
    source: z.string().nullable(),
    payload: payloadOut,
    runAt: time.nullable(),
    createdAt: time,
    deliveries: z.array(DeliverySummary),
  })
  .register(apiSchemas, { id: 'EventSummary' });

export const EventDetail = EventSummary.extend({
  idempotencyKey: z.string().nullable(),
  deliveries: z.array(Delivery.extend({ attemptHistory: z.array(Attempt) })),
}).register(apiSchemas, { id: 'EventDetail' });

const page = <T extends z.ZodType>(item: T, id: string) =>
  z
    .object({
      items: z.array(item),
      nextCursor: z.string().nullable().meta({ description: 'null on the last page' }),
    })
    .register(apiSchemas, { id });

export const EventPage = page(EventSummary, 'EventPage');
export const DeliveryPage = page(Delivery, 'DeliveryPage');

/**
 * A reason as the operations take it: blank is the same as absent (lib/operations/policy.ts
 * decides where one is required and answers 422 at `reason`).
 */
const reason = z
  .string()
  .max(1000)
  .refine((s) => badString(s) === null, 'must not contain \\u0000 or a lone UTF-16 surrogate');

export const ActionRequest = z
  .strictObject({
    reason: reason.optional().meta({
      description:
        'Recorded in the audit log. Required to pause a subscription and for support users acting on a delivery (422 at `reason` without)',
    }),
  })
  .register(apiSchemas, { id: 'ActionRequest' });

export const ActionResponse = z
  .object({ id: positiveId, state: deliveryState })
  .register(apiSchemas, { id: 'ActionResponse' });

export const BulkReplayRequest = z
  .strictObject({
    subscription: text(100).optional(),
    channel: text(200).optional(),
    errorContains: text(500).optional().meta({
      description: 'Case-insensitive substring of the last error; needs read:payloads (403 without)',
    }),
    since: isoTime.optional().meta({ description: 'Died at or after' }),
    until: isoTime.optional().meta({ description: 'Died before' }),
    ids: z.array(positiveId).min(1).max(10_000).optional(),
    dryRun: z.boolean().default(false).meta({ description: 'Only count what would be replayed' }),
    reason: reason.optional(),
  })
  .meta({
    description:
      'Give at least one of subscription, channel, errorContains, since or ids (until alone is everything): 422 otherwise',
  })
  .register(apiSchemas, { id: 'BulkReplayRequest' });

export const BulkReplayResponse = z
  .object({
    dryRun: z.boolean(),
    matched: z.number().int(),
    done: z.number().int().meta({ description: 'Replayed by this request (0 on a dry run)' }),
    skipped: z.number().int(),
  })
  .register(apiSchemas, { id: 'BulkReplayResponse' });

export const SubscriptionStateResponse = z
  .object({
    name: z.string(),
    paused: z.boolean(),
    changed: z.boolean().meta({ description: 'False when it already was in that state' }),
  })
  .register(apiSchemas, { id: 'SubscriptionState' });

/**
 * PATCH /api/v1/subscriptions/{name}/tuning. Only the shape is checked here; the bounds are the
 * operation's (lib/operations/tuning.ts, the same for the console and the CLI), which answers
 * 422 at `concurrency` or `ratePerSecond`. `minimum`/`maximum` are documentation for clients.
 */
export const TuningRequest = z
  .strictObject({
    concurrency: z
      .number()
      .meta({ minimum: 1, maximum: CONCURRENCY_MAX })
      .nullable()
      .optional()
      .meta({
        description: `Handlers at once per worker process, an integer from 1 to ${CONCURRENCY_MAX}; null: back to the value declared in code; absent: unchanged`,
      }),
    ratePerSecond: z
      .number()
      .meta({ minimum: 0, maximum: RATE_MAX })
      .nullable()
      .optional()
      .meta({
        description: `Sends per second across all worker processes, up to ${RATE_MAX}; 0: no limit (lifts a declared one); null: back to the declared rate; absent: unchanged`,
      }),
    reason: reason.optional().meta({ description: 'Recorded in the audit log' }),
  })
  .meta({ description: 'Give concurrency, ratePerSecond or both: 422 at `concurrency` otherwise' })
  .register(apiSchemas, { id: 'TuningRequest' });

export const SubscriptionTuning = z
  .object({
    name: z.string(),
    concurrency: z.number().int().meta({ description: 'In force: the override, else the declared value' }),
    ratePerSecond: z.number().nullable().meta({ description: 'In force; null: no limit' }),
    declaredConcurrency: z
      .number()
      .int()
      .meta({ description: 'As declared in code (or HERALD_EMAIL_CONCURRENCY)' }),
    declaredRatePerSecond: z.number().nullable().meta({ description: 'As declared; null: no limit' }),
    concurrencyOverride: z.number().int().nullable().meta({ description: "An operator's; null: none" }),
    rateOverride: z
      .number()
      .nullable()
      .meta({ description: "An operator's; 0: the declared limit lifted; null: none" }),
    tunedBy: z.string().nullable().meta({ description: 'Who last changed it, as the audit log names them' }),
    tunedAt: time.nullable(),
  })
  .register(apiSchemas, { id: 'SubscriptionTuning' });

export const TuningChange = SubscriptionTuning.extend({
  changed: z.boolean().meta({ description: 'False when it already had those settings (nothing audited)' }),
}).register(apiSchemas, { id: 'TuningChange' });

// Alerts (issue #21, docs/ALERTS.md). The requests are the operations' own schemas
// (lib/alerts/requests.ts, shared with the console and the CLI); the answers are described here
// from lib/alerts/queries.ts and operations.ts, and test/alerts-api.test.ts checks every answer it
// gets against this document.
apiSchemas.add(RuleChange, { id: 'AlertRuleChange' });
apiSchemas.add(Silence, { id: 'AlertSilenceRequest' });
apiSchemas.add(Acknowledge, { id: 'AlertAcknowledgeRequest' });
apiSchemas.add(NewDestination, { id: 'NewAlertDestination' });

const alertKind = z.enum(alertKinds);
const allSubscriptions = "'' for the rule of every subscription without its own";

export const AlertRule = z
  .object({
    id: positiveId,
    kind: alertKind,
    subscription: z.string().meta({ description: allSubscriptions }),
    enabled: z.boolean(),
    threshold: z.number(),
    windowSeconds: z.number().int(),
    minCount: z.number().int(),
    repeatSeconds: z.number().int(),
    updatedAt: time,
    updatedBy: z.string().nullable(),
  })
  .register(apiSchemas, { id: 'AlertRule' });

export const Alert = z
  .object({
    id: positiveId,
    kind: alertKind,
    subscription: z.string().meta({ description: "'' when it is about the whole installation" }),
    state: z.enum(alertStates),
    severity: z.enum(['critical', 'warning']),
    summary: z.string(),
    since: time.nullable().meta({ description: 'When the condition began, if known' }),
    startedAt: time,
    lastSeenAt: time,
    resolvedAt: time.nullable(),
    acknowledgedAt: time.nullable(),
    acknowledgedBy: z.string().nullable(),
    silencedUntil: time.nullable(),
    silencedBy: z.string().nullable(),
    sent: z.number().int().meta({ description: 'Messages about it sent' }),
    pending: z.number().int().meta({ description: 'Messages waiting or retrying' }),
    failed: z.number().int().meta({ description: 'Messages given up on' }),
  })
  .register(apiSchemas, { id: 'Alert' });

export const AlertDestination = z
  .object({
    id: positiveId,
    name: z.string(),
    kind: z.enum(alertDestinationKinds),
    fromEnv: z.boolean().meta({ description: 'Set by HERALD_ALERT_*: changed in the environment, not here' }),
    url: z.string().nullable().optional().meta({ description: 'Admins only (a Slack URL is a credential)' }),
    emails: z.array(z.string()).nullable().optional().meta({ description: 'Admins only' }),
    signed: z.boolean().meta({ description: 'Has a signing secret (never shown again)' }),
    lastEvent: z.enum(['firing', 'repeat', 'resolved', 'test']).nullable(),
    lastState: z.enum(['pending', 'sent', 'failed']).nullable(),
    lastError: z.string().nullable(),
    lastAt: time.nullable(),
    pending: z.number().int(),
  })
  .register(apiSchemas, { id: 'AlertDestination' });

export const AlertOverview = z
  .object({
    alerts: z.array(Alert).meta({ description: 'Firing first, then the latest resolved (100 at most)' }),
    rules: z.array(AlertRule),
    destinations: z.array(AlertDestination),
  })
  .register(apiSchemas, { id: 'AlertOverview' });

export const AlertAcknowledged = z
  .object({
    id: positiveId,
    changed: z.boolean().meta({ description: 'False when it was already acknowledged' }),
  })
  .register(apiSchemas, { id: 'AlertAcknowledged' });

export const AlertSilenced = z
  .object({
    id: positiveId,
    silencedUntil: time.nullable().meta({ description: 'null: the silence was lifted' }),
  })
  .register(apiSchemas, { id: 'AlertSilenced' });

export const AlertRuleSet = AlertRule.omit({ updatedAt: true, updatedBy: true }).register(apiSchemas, {
  id: 'AlertRuleSet',
});

export const AlertDestinationAdded = z
  .object({
    id: positiveId,
    name: z.string(),
    kind: z.enum(alertDestinationKinds),
    secret: z
      .string()
      .optional()
      .meta({ description: 'The generated signing secret of a webhook added without one: shown this once' }),
  })
  .register(apiSchemas, { id: 'AlertDestinationAdded' });

export const AlertDestinationRemoved = z
  .object({ id: positiveId, removed: z.literal(true) })
  .register(apiSchemas, { id: 'AlertDestinationRemoved' });

export const AlertTestQueued = z
  .object({
    destination: positiveId,
    message: positiveId.meta({ description: 'The queued message; a worker sends it like any alert' }),
  })
  .register(apiSchemas, { id: 'AlertTestQueued' });

export const ErrorResponse = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z
        .array(z.object({ path: z.string(), message: z.string(), index: z.number().int().optional() }))
        .optional(),
    }),
  })
  .register(apiSchemas, { id: 'Error' });
