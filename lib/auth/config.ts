import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * Sign-in settings, validated once like lib/config.ts. They live here rather than in the shared
 * schema so that the auth module can be read (and changed) on its own.
 */
const authEnvSchema = z.object({
  /** Signs session cookies. At least 32 characters; every app instance must share it. */
  HERALD_AUTH_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Where people reach the dashboard: the setup link and the Origin check use it. */
  HERALD_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** A session ends this long after its last use (it is extended at most once an hour). */
  HERALD_SESSION_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .default(12),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HERALD_DATA_DIR: z.string().min(1).default('.herald'),
});

export interface AuthSettings {
  secret: string;
  publicUrl: string;
  /** Cookies get `Secure` unless the dashboard is served over http from this machine. */
  secureCookies: boolean;
  sessionSeconds: number;
  dataDir: string;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function isLocalDevelopmentUrl(url: string): boolean {
  const u = new URL(url);
  return u.protocol === 'http:' && LOCAL_HOSTS.has(u.hostname);
}

/**
 * The secret when HERALD_AUTH_SECRET is unset: generated once and kept in HERALD_DATA_DIR
 * (mode 0600), next to the embedded database it protects. `npm start` then works with no
 * set-up and sessions survive restarts; the web processes of one machine share the file.
 * Instances on several machines must set HERALD_AUTH_SECRET, or each would reject the others'
 * cookies. Created with O_EXCL so two processes starting at once agree on one value.
 */
export function persistedSecret(dataDir: string): string {
  const file = path.join(dataDir, 'auth-secret');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    fs.writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return fs.readFileSync(file, 'utf8').trim();
}

export function parseAuthSettings(env: Record<string, string | undefined>): AuthSettings {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = authEnvSchema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration — ${problems.join('; ')}`);
  }
  const cfg = result.data;
  const publicUrl = (cfg.HERALD_PUBLIC_URL ?? `http://localhost:${cfg.PORT}`).replace(/\/+$/, '');
  return {
    secret: cfg.HERALD_AUTH_SECRET ?? persistedSecret(cfg.HERALD_DATA_DIR),
    publicUrl,
    secureCookies: !isLocalDevelopmentUrl(publicUrl),
    sessionSeconds: cfg.HERALD_SESSION_HOURS * 3600,
    dataDir: cfg.HERALD_DATA_DIR,
  };
}

let cached: AuthSettings | undefined;

export function authSettings(): AuthSettings {
  cached ??= parseAuthSettings(process.env);
  return cached;
}
