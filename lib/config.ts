import { z } from 'zod';

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
});

export type Config = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function parseConfig(env: Record<string, string | undefined>): Config {
  // Empty strings count as unset: `FOO= npm start` should mean "use the default".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema.safeParse(cleaned);
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
