import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

/** Everything Herald owns lives in this schema, so it can sit beside the application's tables. */
export const herald = pgSchema('herald');

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const tstz = (name: string) => timestamp(name, { withTimezone: true });

/** An immutable published event. Fan-out to deliveries happens in SQL (see the custom migration). */
export const events = herald.table(
  'events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    channel: text('channel').notNull(),
    payload: jsonb('payload').notNull(),
    key: text('key'),
    idempotencyKey: text('idempotency_key'),
    source: text('source'),
    runAt: tstz('run_at'),
    createdAt: createdAt(),
  },
  (t) => [
    check('events_channel_format', sql`${t.channel} ~ '^[a-z0-9][a-z0-9._-]{0,199}$'`),
    check('events_key_length', sql`length(${t.key}) <= 500`),
    check('events_idempotency_key_length', sql`length(${t.idempotencyKey}) <= 500`),
    uniqueIndex('events_channel_idempotency_key')
      .on(t.channel, t.idempotencyKey)
      .where(sql`${t.idempotencyKey} IS NOT NULL`),
    index('events_key').on(t.key).where(sql`${t.key} IS NOT NULL`),
    index('events_created_at').on(t.createdAt),
  ],
);

/** A named subscriber bound to a channel or a pattern (`order.*`, `*`), synced from code by workers. */
export const subscriptions = herald.table(
  'subscriptions',
  {
    name: text('name').primaryKey(),
    channelPattern: text('channel_pattern').notNull(),
    paused: boolean('paused').notNull().default(false),
    pausedReason: text('paused_reason'),
    pausedBy: text('paused_by'),
    pausedAt: tstz('paused_at'),
    maxAttempts: integer('max_attempts').notNull().default(20),
    backoffBaseMs: integer('backoff_base_ms').notNull().default(10_000),
    backoffMaxMs: integer('backoff_max_ms').notNull().default(3_600_000),
    timeoutMs: integer('timeout_ms').notNull().default(30_000),
    concurrency: integer('concurrency').notNull().default(10),
    leaseMs: integer('lease_ms').notNull().default(30_000),
    // The provider circuit breaker (issue #21): its policy, synced from code like the rest.
    // The circuit's state lives in `circuits` below.
    /** Off: provider-unavailable failures are retried like any other. */
    circuitEnabled: boolean('circuit_enabled').notNull().default(true),
    /** Provider-unavailable failures, with no success between them, that open the circuit… */
    circuitFailures: integer('circuit_failures').notNull().default(5),
    /** …within this window (ms) of the first of them. */
    circuitWindowMs: integer('circuit_window_ms').notNull().default(30_000),
    /** First wait before a probe while open (ms); each later wait doubles… */
    circuitProbeMs: integer('circuit_probe_ms').notNull().default(5_000),
    /** …up to this (ms). */
    circuitProbeMaxMs: integer('circuit_probe_max_ms').notNull().default(120_000),
    /** Held deliveries released per second once the provider answers again. */
    circuitReleasePerSecond: doublePrecision('circuit_release_per_second').notNull().default(20),
    // Tuning without a deploy (issue #21 item 4). `concurrency` above and `rate_per_second` are
    // the defaults declared in code (and HERALD_EMAIL_*), synced at every worker start; the
    // `*_override` columns are what an operator set in the console or the CLI, which the sync
    // leaves alone. Workers apply the effective values within seconds (worker/tuning.ts).
    /** Sends per second across all worker processes together; NULL: no limit. */
    ratePerSecond: doublePrecision('rate_per_second'),
    /** An operator's concurrency per worker process; NULL: the declared one. */
    concurrencyOverride: integer('concurrency_override'),
    /** An operator's rate; 0 lifts the declared limit; NULL: the declared one. */
    rateOverride: doublePrecision('rate_override'),
    tunedBy: text('tuned_by'),
    tunedAt: tstz('tuned_at'),
    createdAt: createdAt(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    check(
      'subscriptions_circuit_valid',
      sql`${t.circuitFailures} >= 1 AND ${t.circuitWindowMs} > 0 AND ${t.circuitProbeMs} > 0 AND ${t.circuitProbeMaxMs} >= ${t.circuitProbeMs} AND ${t.circuitReleasePerSecond} > 0`,
    ),
    // claim_many asks "is any of these subscriptions rate-limited?" on every call: one probe of
    // an index that is empty unless an operator or the code set a rate.
    index('subscriptions_rate_limited')
      .on(t.name)
      .where(sql`${t.ratePerSecond} IS NOT NULL OR ${t.rateOverride} IS NOT NULL`),
    check('subscriptions_name_format', sql`${t.name} ~ '^[a-z0-9][a-z0-9._-]{0,99}$'`),
    check('subscriptions_pattern_format', sql`${t.channelPattern} ~ '^([a-z0-9*][a-z0-9._*-]{0,199})$'`),
    check('subscriptions_max_attempts_positive', sql`${t.maxAttempts} >= 1`),
    check(
      'subscriptions_backoff_positive',
      sql`${t.backoffBaseMs} > 0 AND ${t.backoffMaxMs} >= ${t.backoffBaseMs}`,
    ),
    check('subscriptions_timeout_positive', sql`${t.timeoutMs} > 0`),
    check('subscriptions_concurrency_positive', sql`${t.concurrency} > 0`),
    // The override's bound is CONCURRENCY_MAX (lib/subscriptions/limits.ts); the operation refuses
    // more with a message first, and test/subscription-tuning.test.ts holds the two together.
    check(
      'subscriptions_tuning_valid',
      sql`(${t.ratePerSecond} IS NULL OR ${t.ratePerSecond} > 0) AND (${t.rateOverride} IS NULL OR ${t.rateOverride} >= 0) AND (${t.concurrencyOverride} IS NULL OR ${t.concurrencyOverride} BETWEEN 1 AND 10000)`,
    ),
    check('subscriptions_lease_positive', sql`${t.leaseMs} >= 1000`),
  ],
);

export const deliveryStates = ['pending', 'running', 'succeeded', 'dead', 'discarded'] as const;
export type DeliveryState = (typeof deliveryStates)[number];

/**
 * One per (event, subscription): its own state machine
 * `pending → running → succeeded | pending (retry later) | dead`; `discarded` is an operator's choice.
 */
export const deliveries = herald.table(
  'deliveries',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    eventId: bigint('event_id', { mode: 'number' })
      .notNull()
      .references(() => events.id, { onDelete: 'cascade' }),
    subscription: text('subscription')
      .notNull()
      .references(() => subscriptions.name, { onDelete: 'cascade', onUpdate: 'cascade' }),
    state: text('state', { enum: deliveryStates }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    /** Attempts counted before the last replay: a replay grants a fresh retry budget. */
    attemptsBeforeReplay: integer('attempts_before_replay').notNull().default(0),
    runAt: tstz('run_at').notNull().defaultNow(),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: tstz('lease_expires_at'),
    claimedAt: tstz('claimed_at'),
    /** The next attempt was asked for by a person (replay, retry now), not by the schedule. */
    manualNext: boolean('manual_next').notNull().default(false),
    lastError: text('last_error'),
    createdAt: createdAt(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
    finishedAt: tstz('finished_at'),
    // The attempt that succeeded, kept on the delivery row instead of as a row of its own
    // (migration 0019): a success is final, and writing it here spares the database an insert
    // and three index entries per delivery. `herald.attempts` shows it beside the logged ones.
    successAttemptId: bigint('success_attempt_id', { mode: 'number' }),
    successStartedAt: tstz('success_started_at'),
    successWorker: text('success_worker'),
    successResult: jsonb('success_result'),
    successManual: boolean('success_manual'),
  },
  (t) => [
    check('deliveries_state_valid', sql`${t.state} IN ('pending','running','succeeded','dead','discarded')`),
    check(
      'deliveries_running_has_lease',
      sql`(${t.state} = 'running') = (${t.leaseOwner} IS NOT NULL AND ${t.leaseExpiresAt} IS NOT NULL)`,
    ),
    uniqueIndex('deliveries_event_subscription').on(t.eventId, t.subscription),
    // Only runnable rows live in the claim index, so claims stay fast as history grows.
    index('deliveries_runnable').on(t.subscription, t.runAt, t.id).where(sql`${t.state} = 'pending'`),
    index('deliveries_leases').on(t.leaseExpiresAt).where(sql`${t.state} = 'running'`),
    index('deliveries_dead').on(t.subscription, t.finishedAt).where(sql`${t.state} = 'dead'`),
    // Retention walks finished history oldest first.
    index('deliveries_finished').on(t.finishedAt).where(sql`${t.state} IN ('succeeded','discarded','dead')`),
    check('deliveries_success_is_final', sql`${t.successAttemptId} IS NULL OR ${t.state} = 'succeeded'`),
    // Webhooks and lookups find the attempt that sent an email by Postmark's MessageID.
    index('deliveries_success_message_id')
      .on(sql`(${t.successResult}->>'messageId')`)
      .where(sql`(${t.successResult}->>'messageId') IS NOT NULL`),
  ],
);

export const attemptOutcomes = ['succeeded', 'failed', 'dead', 'lost'] as const;
export type AttemptOutcome = (typeof attemptOutcomes)[number];

/**
 * Every try except a delivery's final success, which stays on the delivery row: failures, dead
 * ends, lost leases (and successes recorded before migration 0019). Replays add rows after the
 * old ones; history is never rewritten. Read attempts through the `attempts` view below.
 */
export const attemptLog = herald.table(
  'attempt_log',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    // Belongs to a delivery, and goes with it, by two statement-level triggers rather than a
    // foreign key (migration 0018): a key's per-row check took a row lock, with its WAL record,
    // on every delivery a batch of outcomes had just updated: 12 % of the database time of
    // claiming and completing a delivery.
    deliveryId: bigint('delivery_id', { mode: 'number' }).notNull(),
    attempt: integer('attempt').notNull(),
    worker: text('worker'),
    startedAt: tstz('started_at').notNull(),
    finishedAt: tstz('finished_at').notNull().defaultNow(),
    outcome: text('outcome', { enum: attemptOutcomes }).notNull(),
    errorCode: text('error_code'),
    error: text('error'),
    errorStack: text('error_stack'),
    result: jsonb('result'),
    manual: boolean('manual').notNull().default(false),
    nextRunAt: tstz('next_run_at'),
  },
  (t) => [
    check('attempts_outcome_valid', sql`${t.outcome} IN ('succeeded','failed','dead','lost')`),
    index('attempts_delivery').on(t.deliveryId, t.attempt),
    // The rollup job counts recent outcomes by time.
    index('attempts_finished_at').on(t.finishedAt),
  ],
);

/**
 * One row per try, whichever table keeps it: the attempt log, and the success on each
 * succeeded delivery's row (migration 0019). Ids come from one sequence, so they order
 * attempts as the single table did.
 */
export const attempts = herald
  .view('attempts', {
    id: bigint('id', { mode: 'number' }).notNull(),
    deliveryId: bigint('delivery_id', { mode: 'number' }).notNull(),
    attempt: integer('attempt').notNull(),
    worker: text('worker'),
    startedAt: tstz('started_at').notNull(),
    finishedAt: tstz('finished_at').notNull(),
    outcome: text('outcome', { enum: attemptOutcomes }).notNull(),
    errorCode: text('error_code'),
    error: text('error'),
    errorStack: text('error_stack'),
    result: jsonb('result'),
    manual: boolean('manual').notNull(),
    nextRunAt: tstz('next_run_at'),
  })
  .existing();

export const circuitStates = ['closed', 'open', 'half-open'] as const;
export type CircuitState = (typeof circuitStates)[number];

/**
 * The provider circuit breaker of a subscription (issue #21), shared by every worker process.
 * `closed`: deliveries run; provider-unavailable failures are counted in a window. `open`: the
 * provider is down; deliveries are held (claims return nothing) without spending attempts, and
 * one probe goes out at `next_probe_at`, the wait doubling up to the policy's maximum. `half-open`:
 * a success came back; held deliveries are released at the policy's rate (through the send-rate
 * limiter, `send_rates` below) until none is left, then `closed`. Every transition is
 * a SQL function (sql/functions/circuit_*.sql) called by claim_many, fail_many and
 * complete_many. A row exists once a subscription's provider has failed.
 */
export const circuits = herald.table(
  'circuits',
  {
    subscription: text('subscription')
      .primaryKey()
      .references(() => subscriptions.name, { onDelete: 'cascade', onUpdate: 'cascade' }),
    state: text('state', { enum: circuitStates }).notNull().default('closed'),
    /** Provider-unavailable failures counted since `window_started_at` (or during the outage). */
    failures: integer('failures').notNull().default(0),
    windowStartedAt: tstz('window_started_at'),
    /** When the current outage began (kept through half-open; cleared when closed). */
    openedAt: tstz('opened_at'),
    /** The provider's words on the failure that opened the circuit. */
    openedBy: text('opened_by'),
    probeIntervalMs: integer('probe_interval_ms'),
    nextProbeAt: tstz('next_probe_at'),
    /** Probes sent during the current outage. */
    probes: integer('probes').notNull().default(0),
    lastProbeAt: tstz('last_probe_at'),
    halfOpenAt: tstz('half_open_at'),
    closedAt: tstz('closed_at'),
    /** Outages so far (times opened from closed). */
    outages: integer('outages').notNull().default(0),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    check('circuits_state_valid', sql`${t.state} IN ('closed','open','half-open')`),
    check(
      'circuits_open_has_probe',
      sql`${t.state} <> 'open' OR (${t.nextProbeAt} IS NOT NULL AND ${t.probeIntervalMs} IS NOT NULL)`,
    ),
    // claim_many and complete_many ask "does any circuit need attention?" on every call: only
    // such rows are in this index, so the answer is one probe of an (almost always) empty index.
    index('circuits_attention').on(t.subscription).where(sql`${t.state} <> 'closed' OR ${t.failures} > 0`),
  ],
);

/**
 * The send-rate limiter (issue #21 item 4), one row per subscription that has a rate (its own, or
 * a half-open circuit's release pace), shared by every worker process. `next_slot_at` is the
 * next free send slot (the "theoretical arrival time" of GCRA): a claim takes slots 1/rate apart
 * from max(next_slot_at, now), at most a second ahead, and hands each delivery the wait until its
 * slot; the worker starts it then or gives it back (worker/send-slot.ts). So slots in any span of
 * T seconds number at most rate·T + 1 across all workers. sql/functions/send_pacing.sql.
 */
export const sendRates = herald.table('send_rates', {
  subscription: text('subscription')
    .primaryKey()
    .references(() => subscriptions.name, { onDelete: 'cascade', onUpdate: 'cascade' }),
  nextSlotAt: tstz('next_slot_at').notNull().defaultNow(),
  updatedAt: tstz('updated_at').notNull().defaultNow(),
});

/** Worker processes: heartbeats for health, and the `waiting` flag that decides whether publishers NOTIFY. */
export const workers = herald.table(
  'workers',
  {
    id: text('id').primaryKey(),
    hostname: text('hostname').notNull(),
    pid: integer('pid').notNull(),
    subscriptions: text('subscriptions').array().notNull(),
    waiting: boolean('waiting').notNull().default(false),
    /** How often the worker's LISTEN connection was re-established (reported with heartbeats). */
    listenerReconnects: integer('listener_reconnects').notNull().default(0),
    startedAt: tstz('started_at').notNull().defaultNow(),
    lastHeartbeatAt: tstz('last_heartbeat_at').notNull().defaultNow(),
  },
  (t) => [index('workers_waiting').on(t.id).where(sql`${t.waiting}`)],
);

/** Who did what, when and why. Rows are only ever inserted (a trigger refuses updates and deletes). */
export const auditLog = herald.table(
  'audit_log',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    at: tstz('at').notNull().defaultNow(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    target: text('target'),
    reason: text('reason'),
    details: jsonb('details'),
  },
  (t) => [index('audit_log_at').on(t.at), index('audit_log_actor').on(t.actor, t.at)],
);

export type EventRow = typeof events.$inferSelect;
export type DeliveryRow = typeof deliveries.$inferSelect;
export type AttemptRow = typeof attempts.$inferSelect;
export type SubscriptionRow = typeof subscriptions.$inferSelect;
export type CircuitRow = typeof circuits.$inferSelect;

// ─── Email: Postmark webhooks and the local Postmark sandbox (issue 8) ───────────────────────────

export const emailRecordTypes = [
  'Delivery',
  'Bounce',
  'SpamComplaint',
  'Open',
  'Click',
  'SubscriptionChange',
] as const;
export type EmailRecordType = (typeof emailRecordTypes)[number];

/**
 * What Postmark told us about a sent email (its webhooks), linked by MessageID to the attempt
 * that sent it. Records for message ids we do not know are kept unlinked (attempt_id NULL); a
 * trigger links them if the attempt is recorded later (the webhook can beat the worker's write).
 */
export const emailEvents = herald.table(
  'email_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    recordType: text('record_type', { enum: emailRecordTypes }).notNull(),
    messageId: text('message_id').notNull(),
    recipient: text('recipient'),
    /** When it happened at Postmark (DeliveredAt, BouncedAt, ReceivedAt, ChangedAt). */
    occurredAt: tstz('occurred_at'),
    /** An id in `attempts`; unset when its delivery is deleted (migration 0019's trigger). */
    attemptId: bigint('attempt_id', { mode: 'number' }),
    deliveryId: bigint('delivery_id', { mode: 'number' }).references(() => deliveries.id, {
      onDelete: 'set null',
    }),
    /** sha256 of the canonical payload: Postmark re-posts the same record, we store it once. */
    dedupeKey: text('dedupe_key').notNull(),
    payload: jsonb('payload').notNull(),
    receivedAt: tstz('received_at').notNull().defaultNow(),
  },
  (t) => [
    check(
      'email_events_record_type_valid',
      sql`${t.recordType} IN ('Delivery','Bounce','SpamComplaint','Open','Click','SubscriptionChange')`,
    ),
    check('email_events_message_id_length', sql`length(${t.messageId}) BETWEEN 1 AND 200`),
    uniqueIndex('email_events_dedupe_key').on(t.dedupeKey),
    index('email_events_message_id').on(t.messageId),
    index('email_events_delivery').on(t.deliveryId, t.occurredAt).where(sql`${t.deliveryId} IS NOT NULL`),
    // Retention deletes attempts; their records are unlinked (SET NULL) through this index,
    // not by reading every email record once per deleted attempt.
    index('email_events_attempt').on(t.attemptId).where(sql`${t.attemptId} IS NOT NULL`),
  ],
);

export const sandboxEndpoints = ['email', 'batch', 'withTemplate'] as const;
export const sandboxStatuses = ['accepted', 'rejected'] as const;

/** Every message the local Postmark sandbox received, accepted or refused (the "Sandbox outbox"). */
export const sandboxMessages = herald.table(
  'sandbox_messages',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    /** Postmark's MessageID; refused messages have none. */
    messageId: text('message_id'),
    endpoint: text('endpoint', { enum: sandboxEndpoints }).notNull(),
    status: text('status', { enum: sandboxStatuses }).notNull(),
    httpStatus: integer('http_status').notNull(),
    errorCode: integer('error_code').notNull().default(0),
    errorMessage: text('error_message'),
    fromAddress: text('from_address'),
    toAddress: text('to_address'),
    subject: text('subject'),
    textBody: text('text_body'),
    htmlBody: text('html_body'),
    tag: text('tag'),
    messageStream: text('message_stream'),
    /** The message as received (template messages keep their TemplateModel here). */
    request: jsonb('request').notNull(),
    receivedAt: tstz('received_at').notNull().defaultNow(),
    /** The webhook the sandbox posted back (Delivery or Bounce), when and with what outcome. */
    webhookType: text('webhook_type'),
    webhookPostedAt: tstz('webhook_posted_at'),
    webhookError: text('webhook_error'),
  },
  (t) => [
    check('sandbox_messages_endpoint_valid', sql`${t.endpoint} IN ('email','batch','withTemplate')`),
    check('sandbox_messages_status_valid', sql`${t.status} IN ('accepted','rejected')`),
    check('sandbox_messages_accepted_has_id', sql`(${t.status} = 'accepted') = (${t.messageId} IS NOT NULL)`),
    uniqueIndex('sandbox_messages_message_id').on(t.messageId).where(sql`${t.messageId} IS NOT NULL`),
    index('sandbox_messages_received').on(t.receivedAt, t.id),
    index('sandbox_messages_to').on(t.toAddress, t.receivedAt),
  ],
);

/**
 * The sandbox's controls: one row (id = 1), shared by the sandbox process and the dashboard.
 * Maintenance is a window: from `maintenance_starts_at` until `maintenance_ends_at` (open-ended
 * when NULL), so "down for 30 s" ends by itself and a window can be scheduled ahead.
 */
export const sandboxSettings = herald.table(
  'sandbox_settings',
  {
    id: integer('id').primaryKey().default(1),
    maintenanceStartsAt: tstz('maintenance_starts_at'),
    maintenanceEndsAt: tstz('maintenance_ends_at'),
    /** Share of requests answered with a 500, 0 to 1. */
    failureRate: doublePrecision('failure_rate').notNull().default(0),
    /** Extra time before each answer. */
    latencyMs: integer('latency_ms').notNull().default(0),
    /** Sent as Retry-After (seconds) with maintenance and 429 answers; none when NULL. */
    retryAfterSeconds: integer('retry_after_seconds'),
    /** How long after accepting a message the sandbox posts its Delivery/Bounce webhook. */
    webhookDelayMs: integer('webhook_delay_ms').notNull().default(1_000),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
    updatedBy: text('updated_by'),
  },
  (t) => [
    check('sandbox_settings_single_row', sql`${t.id} = 1`),
    check('sandbox_settings_failure_rate_range', sql`${t.failureRate} >= 0 AND ${t.failureRate} <= 1`),
    check('sandbox_settings_latency_range', sql`${t.latencyMs} BETWEEN 0 AND 120000`),
    check('sandbox_settings_retry_after_range', sql`${t.retryAfterSeconds} BETWEEN 0 AND 86400`),
    check('sandbox_settings_webhook_delay_range', sql`${t.webhookDelayMs} BETWEEN 0 AND 600000`),
    check(
      'sandbox_settings_window_order',
      sql`${t.maintenanceEndsAt} IS NULL OR ${t.maintenanceStartsAt} IS NULL OR ${t.maintenanceEndsAt} > ${t.maintenanceStartsAt}`,
    ),
  ],
);

/** Addresses the sandbox treats as inactive: sending to them gets ErrorCode 406, like Postmark. */
export const sandboxInactiveAddresses = herald.table(
  'sandbox_inactive_addresses',
  {
    email: text('email').primaryKey(),
    reason: text('reason').notNull().default('ManualSuppression'),
    createdAt: createdAt(),
  },
  (t) => [
    check('sandbox_inactive_email_lower', sql`${t.email} = lower(${t.email})`),
    check(
      'sandbox_inactive_reason_valid',
      sql`${t.reason} IN ('HardBounce','SpamComplaint','ManualSuppression')`,
    ),
  ],
);

export type EmailEventRow = typeof emailEvents.$inferSelect;
export type SandboxMessageRow = typeof sandboxMessages.$inferSelect;
export type SandboxSettingsRow = typeof sandboxSettings.$inferSelect;
export type SandboxInactiveAddressRow = typeof sandboxInactiveAddresses.$inferSelect;

/**
 * HTTP API keys. Only a SHA-256 of the secret is stored: the secret is 32 random bytes, so
 * a fast hash is safe (no dictionary to attack, unlike passwords) and keeps the lookup on
 * the hot publish path to one indexed equality. `prefix` is public and shown in listings.
 */
export const apiKeyScopes = ['publish', 'read', 'operate'] as const;

export const apiKeys = herald.table(
  'api_keys',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    name: text('name').notNull(),
    prefix: text('prefix').notNull(),
    secretHash: text('secret_hash').notNull(),
    scopes: text('scopes').array().notNull(),
    publishChannels: text('publish_channels').array().notNull().default(sql`'{}'::text[]`),
    rateLimitPerMinute: integer('rate_limit_per_minute').notNull().default(6_000),
    createdAt: createdAt(),
    createdBy: text('created_by'),
    revokedAt: tstz('revoked_at'),
    /** Updated at most once a minute per key, so recording use costs nothing on most requests. */
    lastUsedAt: tstz('last_used_at'),
  },
  (t) => [
    uniqueIndex('api_keys_name').on(t.name),
    uniqueIndex('api_keys_prefix').on(t.prefix),
    uniqueIndex('api_keys_secret_hash').on(t.secretHash),
    check('api_keys_name_format', sql`length(${t.name}) BETWEEN 1 AND 100`),
    check('api_keys_scopes_valid', sql`${t.scopes} <@ ARRAY['publish','read','operate']::text[]`),
    check('api_keys_rate_limit_positive', sql`${t.rateLimitPerMinute} BETWEEN 1 AND 1000000`),
  ],
);

export type ApiKeyRow = typeof apiKeys.$inferSelect;

// ─── Dashboard sign-in (issue 5) ─────────────────────────────────────────────────────────────────
// better-auth's four core models, in Herald's schema. Property names are the ones better-auth
// asks its Drizzle adapter for (camelCase); columns stay snake_case like the rest of Herald.

export const userRoles = ['viewer', 'support', 'operator', 'admin'] as const;

/** Dashboard people. `role` decides their powers (lib/auth/principal.ts); `disabled` locks them out. */
export const users = herald.table(
  'users',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    email: text('email').notNull(),
    emailVerified: boolean('email_verified').notNull().default(false),
    image: text('image'),
    role: text('role', { enum: userRoles }).notNull().default('viewer'),
    disabled: boolean('disabled').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('users_email').on(t.email),
    check('users_email_lower', sql`${t.email} = lower(${t.email})`),
    check('users_role_valid', sql`${t.role} IN ('viewer','support','operator','admin')`),
  ],
);

/** Signed-in sessions; the cookie carries `token`, signed with HERALD_AUTH_SECRET. */
export const sessions = herald.table(
  'sessions',
  {
    id: text('id').primaryKey(),
    token: text('token').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: tstz('expires_at').notNull(),
    ipAddress: text('ip_address'),
    userAgent: text('user_agent'),
    createdAt: createdAt(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('sessions_token').on(t.token), index('sessions_user').on(t.userId)],
);

/** Credentials: for email + password, one row with providerId 'credential' and the scrypt hash. */
export const accounts = herald.table(
  'accounts',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id').notNull(),
    providerId: text('provider_id').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    accessToken: text('access_token'),
    refreshToken: text('refresh_token'),
    idToken: text('id_token'),
    accessTokenExpiresAt: tstz('access_token_expires_at'),
    refreshTokenExpiresAt: tstz('refresh_token_expires_at'),
    scope: text('scope'),
    password: text('password'),
    createdAt: createdAt(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [index('accounts_user').on(t.userId)],
);

/** better-auth's one-time values (unused by email + password today; the library expects the model). */
export const verifications = herald.table('verifications', {
  id: text('id').primaryKey(),
  identifier: text('identifier').notNull(),
  value: text('value').notNull(),
  expiresAt: tstz('expires_at').notNull(),
  createdAt: createdAt(),
  updatedAt: tstz('updated_at').notNull().defaultNow(),
});

/**
 * Failed sign-ins per account (`account:<email>`) and per address (`address:<ip>`): the counts
 * behind lockouts, shared by every app instance because they live in the database.
 */
export const signInThrottle = herald.table('sign_in_throttle', {
  key: text('key').primaryKey(),
  failures: integer('failures').notNull().default(0),
  windowStartedAt: tstz('window_started_at').notNull().defaultNow(),
  lockedUntil: tstz('locked_until'),
});

/** First-run setup links: only a SHA-256 of the token is kept; usable once, while no user exists. */
export const setupTokens = herald.table('setup_tokens', {
  tokenHash: text('token_hash').primaryKey(),
  createdAt: createdAt(),
  expiresAt: tstz('expires_at').notNull(),
  usedAt: tstz('used_at'),
});

export type UserRow = typeof users.$inferSelect;

/**
 * Throughput rollups for the dashboard: per second (kept 1 h) and per minute (kept 8 d), by
 * channel (published) and by subscription (succeeded / failed / dead). Written by one worker at
 * a time (herald.roll_up, called by worker/maintenance.ts); charts never count history.
 */
export const activity = herald.table(
  'activity',
  {
    resolution: text('resolution', { enum: ['second', 'minute'] }).notNull(),
    bucket: tstz('bucket').notNull(),
    channel: text('channel').notNull().default(''),
    subscription: text('subscription').notNull().default(''),
    published: integer('published').notNull().default(0),
    succeeded: integer('succeeded').notNull().default(0),
    failed: integer('failed').notNull().default(0),
    dead: integer('dead').notNull().default(0),
    /** Attempt durations: their sum and counts per bucket of herald.duration_buckets_ms(). */
    durationSumMs: bigint('duration_sum_ms', { mode: 'number' }).notNull().default(0),
    durationBuckets: integer('duration_buckets').array().notNull().default(sql`'{}'`),
  },
  (t) => [
    primaryKey({ columns: [t.resolution, t.bucket, t.channel, t.subscription] }),
    check('activity_resolution_valid', sql`${t.resolution} IN ('second','minute')`),
  ],
);

/**
 * Totals since the database was created, for Prometheus counters: seconds are added once they
 * are final (older than roll_up's recount window), so the totals only ever grow.
 */
export const activityTotals = herald.table(
  'activity_totals',
  {
    channel: text('channel').notNull().default(''),
    subscription: text('subscription').notNull().default(''),
    published: bigint('published', { mode: 'number' }).notNull().default(0),
    succeeded: bigint('succeeded', { mode: 'number' }).notNull().default(0),
    failed: bigint('failed', { mode: 'number' }).notNull().default(0),
    dead: bigint('dead', { mode: 'number' }).notNull().default(0),
    durationSumMs: bigint('duration_sum_ms', { mode: 'number' }).notNull().default(0),
    durationBuckets: bigint('duration_buckets', { mode: 'number' }).array().notNull().default(sql`'{}'`),
  },
  (t) => [primaryKey({ columns: [t.channel, t.subscription] })],
);

/** Single-row bookkeeping for background jobs (what retention has removed so far). */
export const maintenanceState = herald.table('maintenance_state', {
  id: integer('id').primaryKey().default(1),
  /** Finished history before this time has been removed: lookups say "older than retention". */
  prunedBefore: tstz('pruned_before'),
  deadPrunedBefore: tstz('dead_pruned_before'),
  lastPruneAt: tstz('last_prune_at'),
  /** Events up to this id were looked at by retention (its keyset cursor). */
  eventsCheckedThrough: bigint('events_checked_through', { mode: 'number' }).notNull().default(0),
  /** Seconds before this are final and counted in activity_totals. */
  finalUntil: tstz('final_until'),
  /** Rollups are complete up to here (see herald.roll_up). */
  rolledUntil: tstz('rolled_until'),
});

// ─── Alerts (issue #21): rules, what fired, where it is sent, and each message's delivery ──────

export const alertKinds = [
  'stall',
  'oldest_due',
  'failure_rate',
  'dead_growth',
  'no_heartbeat',
  'circuit_open',
] as const;
export type AlertKind = (typeof alertKinds)[number];

/**
 * A condition the maintenance leader checks every few seconds (lib/alerts/rules.ts says what each
 * kind measures). `subscription` '' is the rule for every subscription without one of its own of
 * the same kind. `window_seconds` is always the time span; `threshold` the amount (a percentage for
 * failure_rate, a count for dead_growth, unused otherwise). Defaults: lib/alerts/defaults.ts.
 */
export const alertRules = herald.table(
  'alert_rules',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    kind: text('kind', { enum: alertKinds }).notNull(),
    subscription: text('subscription').notNull().default(''),
    enabled: boolean('enabled').notNull().default(true),
    threshold: doublePrecision('threshold').notNull().default(0),
    windowSeconds: integer('window_seconds').notNull(),
    minCount: integer('min_count').notNull().default(0),
    /** While it holds and nobody acknowledged it, the alert is sent again this often. */
    repeatSeconds: integer('repeat_seconds').notNull().default(3_600),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
    updatedBy: text('updated_by'),
  },
  (t) => [
    uniqueIndex('alert_rules_kind_subscription').on(t.kind, t.subscription),
    check(
      'alert_rules_kind_valid',
      sql`${t.kind} IN ('stall','oldest_due','failure_rate','dead_growth','no_heartbeat','circuit_open')`,
    ),
    check(
      'alert_rules_values_valid',
      sql`${t.threshold} >= 0 AND ${t.windowSeconds} >= 0 AND ${t.windowSeconds} <= 604800 AND ${t.minCount} >= 0 AND ${t.repeatSeconds} >= 60`,
    ),
  ],
);

export const alertStates = ['firing', 'resolved'] as const;

/** One row per episode of a rule holding for a subscription: from firing to resolved. */
export const alerts = herald.table(
  'alerts',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    ruleId: bigint('rule_id', { mode: 'number' })
      .notNull()
      .references(() => alertRules.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: alertKinds }).notNull(),
    subscription: text('subscription').notNull(),
    state: text('state', { enum: alertStates }).notNull().default('firing'),
    severity: text('severity', { enum: ['critical', 'warning'] }).notNull(),
    summary: text('summary').notNull(),
    value: doublePrecision('value'),
    /** When the condition began, as the rule measures it (e.g. the last finished delivery). */
    since: tstz('since'),
    startedAt: tstz('started_at').notNull().defaultNow(),
    lastSeenAt: tstz('last_seen_at').notNull().defaultNow(),
    resolvedAt: tstz('resolved_at'),
    /** When a firing (or repeat) message was last queued; NULL while silenced from the start. */
    notifiedAt: tstz('notified_at'),
    acknowledgedAt: tstz('acknowledged_at'),
    acknowledgedBy: text('acknowledged_by'),
    silencedUntil: tstz('silenced_until'),
    silencedBy: text('silenced_by'),
  },
  (t) => [
    check('alerts_state_valid', sql`${t.state} IN ('firing','resolved')`),
    uniqueIndex('alerts_firing_once').on(t.ruleId, t.subscription).where(sql`${t.state} = 'firing'`),
    index('alerts_started').on(t.startedAt),
  ],
);

export const alertDestinationKinds = ['slack', 'webhook', 'email'] as const;
export type AlertDestinationKind = (typeof alertDestinationKinds)[number];

/**
 * Where alerts go; every destination gets every alert. `env:` rows mirror HERALD_ALERT_*_URL and are
 * kept by the leader. `url` and `secret` are shown to admins only; `secret` (webhook signing) never.
 */
export const alertDestinations = herald.table(
  'alert_destinations',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    name: text('name').notNull(),
    kind: text('kind', { enum: alertDestinationKinds }).notNull(),
    url: text('url'),
    secret: text('secret'),
    emails: text('emails').array(),
    fromEnv: boolean('from_env').notNull().default(false),
    createdAt: createdAt(),
    createdBy: text('created_by'),
  },
  (t) => [
    uniqueIndex('alert_destinations_name').on(t.name),
    check('alert_destinations_kind_valid', sql`${t.kind} IN ('slack','webhook','email')`),
    check(
      'alert_destinations_target',
      sql`(${t.kind} = 'email') = (${t.emails} IS NOT NULL AND cardinality(${t.emails}) > 0) AND (${t.kind} = 'email' OR ${t.url} IS NOT NULL)`,
    ),
  ],
);

/**
 * One message to one destination: sent on its own, oldest first per destination, with its own
 * retries (lib/alerts/sender.ts), so a destination that is down delays nobody else.
 */
export const alertMessages = herald.table(
  'alert_messages',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    destinationId: bigint('destination_id', { mode: 'number' })
      .notNull()
      .references(() => alertDestinations.id, { onDelete: 'cascade' }),
    alertId: bigint('alert_id', { mode: 'number' }).references(() => alerts.id, { onDelete: 'set null' }),
    event: text('event', { enum: ['firing', 'repeat', 'resolved', 'test'] }).notNull(),
    payload: jsonb('payload').notNull(),
    state: text('state', { enum: ['pending', 'sent', 'failed'] })
      .notNull()
      .default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: tstz('next_attempt_at').notNull().defaultNow(),
    leaseUntil: tstz('lease_until'),
    lastError: text('last_error'),
    createdAt: createdAt(),
    sentAt: tstz('sent_at'),
  },
  (t) => [
    check('alert_messages_state_valid', sql`${t.state} IN ('pending','sent','failed')`),
    check('alert_messages_event_valid', sql`${t.event} IN ('firing','repeat','resolved','test')`),
    index('alert_messages_pending').on(t.destinationId, t.id).where(sql`${t.state} = 'pending'`),
    index('alert_messages_alert').on(t.alertId),
    index('alert_messages_created').on(t.createdAt),
  ],
);

export type AlertRuleRow = typeof alertRules.$inferSelect;
export type AlertRow = typeof alerts.$inferSelect;
export type AlertDestinationRow = typeof alertDestinations.$inferSelect;
export type AlertMessageRow = typeof alertMessages.$inferSelect;
