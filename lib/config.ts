import { z } from 'zod';
import { publicUrlSetting } from './public-url';
import { CONCURRENCY_MAX } from './subscriptions/limits';

/**
 * Herald's configuration, read from the environment once and validated, so a
 * typo fails at start-up with a line that names the variable instead of
 * surfacing later as a confusing runtime error.
 */
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const envSchema = z.object({
  DATABASE_URL: z
    .string()
    .trim()
    .min(1)
    .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// or postgresql:// URL')
    .optional(),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HERALD_DATA_DIR: z.string().min(1).default('.herald'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HERALD_LEASE_MS: positiveInt(30_000),
  HERALD_POLL_INTERVAL_MS: positiveInt(1_000),
  HERALD_SHUTDOWN_TIMEOUT_MS: positiveInt(10_000),
  HERALD_LISTENER_PING_MS: positiveInt(5_000),
  HERALD_NOTIFY: z.enum(['on', 'off']).default('on'),
  HERALD_SUBSCRIPTIONS: z.string().min(1).optional(),
  /** Deliveries a worker claims ahead per subscription beyond its concurrency (default: the concurrency). */
  HERALD_PREFETCH: z.coerce.number().int().min(0).max(10_000).optional(),
  // The email subscriptions' defaults (issue #21 item 4); operators override them without a
  // deploy (`herald subscription set`, the console), and workers apply that within seconds.
  /** Emails sent at once per worker process, per email subscription. */
  // Unset: 10 sending one by one, four batches' worth (2,000) sending through the batch API. At
  // most CONCURRENCY_MAX: an operator's override must be able to reach whatever this declares.
  HERALD_EMAIL_CONCURRENCY: z.coerce.number().int().min(1).max(CONCURRENCY_MAX).optional(),
  /** Emails per second per email subscription across all workers (e.g. Postmark's limit); unset: none. */
  HERALD_EMAIL_RATE_PER_SECOND: z.coerce.number().positive().optional(),
  // Provider circuit breaker (issue #21): defaults for subscriptions that do not set their own
  // (subscribe({ circuit })); lib/subscriptions/define.ts CircuitPolicy says what each means.
  HERALD_CIRCUIT_FAILURES: z.coerce.number().int().min(1).optional(),
  HERALD_CIRCUIT_WINDOW_MS: z.coerce.number().int().positive().optional(),
  HERALD_CIRCUIT_PROBE_MS: z.coerce.number().int().positive().optional(),
  HERALD_CIRCUIT_PROBE_MAX_MS: z.coerce.number().int().positive().optional(),
  HERALD_CIRCUIT_RELEASE_PER_SECOND: z.coerce.number().positive().optional(),
  // Alerts (issue #21, docs/ALERTS.md). Each URL is a destination every alert goes to, beside
  // those added in the dashboard; HMAC-SHA256 signing of the webhook needs its secret.
  HERALD_ALERT_SLACK_URL: z.url({ protocol: /^https?$/ }).optional(),
  HERALD_ALERT_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  HERALD_ALERT_WEBHOOK_SECRET: z.string().min(16, 'use at least 16 characters').optional(),
  /** How often the maintenance leader checks the alert rules (ms). */
  HERALD_ALERT_INTERVAL_MS: positiveInt(5_000),
  /** Longest one alert request may take (ms): a destination that hangs delays only itself. */
  HERALD_ALERT_TIMEOUT_MS: positiveInt(5_000),
  /** Where people reach the console: links in alerts (lib/public-url.ts; sign-in reads it too). */
  HERALD_PUBLIC_URL: publicUrlSetting,
  /** Succeeded and discarded deliveries (and events nothing needs) are removed after this many days. */
  HERALD_RETENTION_DAYS: z.coerce.number().positive().default(14),
  /** Dead deliveries stay until replayed or discarded, at most this many days. */
  HERALD_DEAD_RETENTION_DAYS: z.coerce.number().positive().default(90),
  HERALD_PRUNE_INTERVAL_MS: positiveInt(60_000),
  HERALD_ROLLUP_INTERVAL_MS: positiveInt(1_000),
  /** Bearer token Prometheus sends to GET /api/metrics; without it the endpoint is off. */
  HERALD_METRICS_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),
  // Email through Postmark (issue 8). Without a server token, email goes to the local sandbox.
  POSTMARK_SERVER_TOKEN: z.string().trim().min(1).optional(),
  /** Where the Postmark API lives: the real one by default with a token, the sandbox without. */
  POSTMARK_API_URL: z.url({ protocol: /^https?$/ }).optional(),
  POSTMARK_MESSAGE_STREAM: z.string().trim().min(1).default('outbound'),
  EMAIL_FROM: z.string().trim().min(3).default('Herald Shop <orders@herald.example>'),
  /** HTTP basic auth Postmark puts in the webhook URL (https://user:password@host/api/v1/webhooks/postmark). */
  POSTMARK_WEBHOOK_USER: z.string().min(1).default('postmark'),
  POSTMARK_WEBHOOK_PASSWORD: z.string().min(8).optional(),
  /** The local Postmark sandbox: its port and the server token it accepts. */
  HERALD_SANDBOX_PORT: z.coerce.number().int().min(1).max(65535).default(4025),
  HERALD_SANDBOX_TOKEN: z.string().min(1).default('herald-sandbox'),
  /** Where the sandbox posts webhooks back to: the app's base URL. Default http://127.0.0.1:$PORT. */
  HERALD_APP_URL: z.url({ protocol: /^https?$/ }).optional(),
  // HTTP API (issue 4).
  /** Largest request body the API reads, in bytes; bigger ones get 413 without being read. */
  HERALD_API_BODY_LIMIT: positiveInt(256 * 1024),
  /** Requests per minute a new API key may make unless `--rate-limit` says otherwise. */
  HERALD_API_RATE_LIMIT: positiveInt(6_000),
  // Reads are fenced off from publishing (issue 18): dashboard pages and the read API run on a
  // pool of their own, so a crowd of slow filters can only exhaust that pool, never the
  // connections publishing and operations use (the worker has a pool of its own in its process).
  /**
   * Longest a dashboard or read-API statement may run (ms) before PostgreSQL cancels it and the
   * caller gets 503 `read_timeout`: a filter that walks whole tables ends instead of holding a
   * connection and a CPU for minutes.
   */
  HERALD_READ_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(50).max(600_000).default(5_000),
  /** Connections each app process opens for reads (the write pool keeps its own 10). */
  HERALD_READ_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(5),
  /**
   * Expensive reads (events explorer and list, deliveries list, dead letters, lookup) one user or
   * API key may have in flight per app process; more get 429 with Retry-After, so one person
   * cannot take the whole read pool.
   */
  HERALD_READ_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(3),
  // A read replica (issue 23): the dashboard's and the read API's queries may go to a streaming
  // standby; writes, claims, publishes and read-your-own-write pages stay on the primary
  // (lib/db/read-routing.ts says which read goes where, and why).
  /** A hot standby of DATABASE_URL for reads; unset, every read stays on the primary. */
  HERALD_READ_DATABASE_URL: z
    .string()
    .trim()
    .min(1)
    .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// or postgresql:// URL')
    .optional(),
  /** Reads fall back to the primary (with a note on the page) while the replica is further behind. */
  HERALD_READ_MAX_LAG_MS: z.coerce.number().int().min(0).max(3_600_000).default(5_000),
  /** How often each app process asks the replica how far it has replayed (and the primary how far it is). */
  HERALD_READ_LAG_CHECK_MS: z.coerce.number().int().min(100).max(60_000).default(1_000),
  /**
   * The zone the dashboard's lookup pages and copied summaries show times in (an IANA name such
   * as Europe/Berlin): support agents read them to customers, so they should be local, not UTC.
   * Checked here so a typo fails at start-up instead of silently showing UTC.
   */
  HERALD_TIMEZONE: z
    .string()
    .trim()
    .default('UTC')
    .refine((zone) => {
      try {
        new Intl.DateTimeFormat('en-GB', { timeZone: zone });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone name such as Europe/Berlin or UTC'),
});

export type Config = z.infer<typeof envSchema>;

/** Cross-field rules: a signed webhook needs its secret. */
const checkedSchema = envSchema.refine((c) => !c.HERALD_ALERT_WEBHOOK_URL || c.HERALD_ALERT_WEBHOOK_SECRET, {
  path: ['HERALD_ALERT_WEBHOOK_SECRET'],
  message: 'required with HERALD_ALERT_WEBHOOK_URL (alert webhooks are signed with it)',
});

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function parseConfig(env: Record<string, string | undefined>): Config {
  // Empty strings count as unset: `FOO= npm start` should mean "use the default".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = checkedSchema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration — ${problems.join('; ')}`);
  }
  return result.data;
}

let cached: Config | undefined;

/** The process's configuration, parsed on first use. */
export function config(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}
