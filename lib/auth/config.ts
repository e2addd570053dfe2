import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { BlockList } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { parseTrustedProxies } from '../http/client-address';
import { publicUrlSetting, resolvePublicUrl } from '../public-url';

/**
 * Sign-in settings, validated once like lib/config.ts. They live here rather than in the shared
 * schema so that the auth module can be read (and changed) on its own.
 */
const authEnvSchema = z.object({
  /** Signs session cookies. At least 32 characters; every app instance must share it. */
  HERALD_AUTH_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Where people reach the dashboard: the setup link and the Origin check use it. */
  HERALD_PUBLIC_URL: publicUrlSetting,
  /** A session ends this long after its last use (it is extended at most once an hour). */
  HERALD_SESSION_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .default(12),
  /**
   * Proxies in front of Herald whose X-Forwarded-For is believed (comma-separated addresses and
   * CIDR ranges). Unset: the client's address is the connection's, whatever headers say, because
   * any client can send X-Forwarded-For and would otherwise pick the address it is throttled as.
   */
  HERALD_TRUSTED_PROXIES: trustedProxiesSchema().optional(),
  /**
   * Password hashes (sign-in, password change) run at once per web process; more get 429 at once.
   * Each scrypt hash takes 32 MiB and a libuv thread that file and DNS work also need, in the
   * process that serves publishes: a burst of sign-ins must not starve it.
   */
  HERALD_PASSWORD_HASHES_AT_ONCE: z.coerce.number().int().min(1).max(64).default(2),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HERALD_DATA_DIR: z.string().min(1).default('.herald'),
});

function trustedProxiesSchema() {
  return z.string().transform((value, ctx): BlockList => {
    try {
      return parseTrustedProxies(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });
}

export interface AuthSettings {
  secret: string;
  publicUrl: string;
  /** Cookies get `Secure` unless the dashboard is served over http from this machine. */
  secureCookies: boolean;
  sessionSeconds: number;
  dataDir: string;
  passwordHashesAtOnce: number;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function isLocalDevelopmentUrl(url: string): boolean {
  const u = new URL(url);
  return u.protocol === 'http:' && LOCAL_HOSTS.has(u.hostname);
}

/**
 * A secret of this installation, generated once and kept in HERALD_DATA_DIR (mode 0600) as
 * `name`, next to the embedded database it protects: the auth secret when HERALD_AUTH_SECRET is
 * unset (`auth-secret`), the sandbox's Postmark webhook password when POSTMARK_WEBHOOK_PASSWORD
 * is (`postmark-webhook-password`, lib/email/config.ts). `npm start` then works with no set-up,
 * the value survives restarts, and the processes of one machine (web, worker, sandbox) share the
 * file. Instances on several machines must configure the value, or each would have its own.
 * Created with O_EXCL so two processes starting at once agree on one value.
 */
export function persistedSecret(dataDir: string, name = 'auth-secret'): string {
  // turbopackIgnore: a file of the running installation, not a source to trace into the build.
  const file = path.join(/*turbopackIgnore: true*/ dataDir, name);
  try {
    return fs.readFileSync(/*turbopackIgnore: true*/ file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    fs.writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return fs.readFileSync(/*turbopackIgnore: true*/ file, 'utf8').trim();
}

export function parseAuthSettings(env: Record<string, string | undefined>): AuthSettings {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = authEnvSchema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration — ${problems.join('; ')}`);
  }
  const cfg = result.data;
  const publicUrl = resolvePublicUrl(cfg.HERALD_PUBLIC_URL, cfg.PORT);
  return {
    secret: cfg.HERALD_AUTH_SECRET ?? persistedSecret(cfg.HERALD_DATA_DIR),
    publicUrl,
    secureCookies: !isLocalDevelopmentUrl(publicUrl),
    sessionSeconds: cfg.HERALD_SESSION_HOURS * 3600,
    dataDir: cfg.HERALD_DATA_DIR,
    passwordHashesAtOnce: cfg.HERALD_PASSWORD_HASHES_AT_ONCE,
  };
}

/**
 * HERALD_TRUSTED_PROXIES alone, for the web server (scripts/web/server.ts): it needs no secret and
 * must not create one. Throws on an invalid list, like parseAuthSettings.
 */
export function trustedProxies(env: Record<string, string | undefined>): BlockList | undefined {
  const value = env.HERALD_TRUSTED_PROXIES;
  if (!value) return undefined;
  const result = trustedProxiesSchema().safeParse(value);
  if (!result.success)
    throw new Error(`Invalid configuration — HERALD_TRUSTED_PROXIES: ${result.error.issues[0]?.message}`);
  return result.data;
}

let cached: AuthSettings | undefined;

export function authSettings(): AuthSettings {
  cached ??= parseAuthSettings(process.env);
  return cached;
}
