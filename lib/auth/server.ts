import { betterAuth } from 'better-auth';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import { eq } from 'drizzle-orm';
import { type Db, sharedDb } from '../db/client';
import { accounts, sessions, users, verifications } from '../db/schema';
import { type AuthSettings, authSettings } from './config';

/** Cookie names start with this: `herald.session_token` (`__Secure-herald.…` over https). */
export const COOKIE_PREFIX = 'herald';

/**
 * better-auth on Herald's pool and schema. Only its server API (`auth.api.*`) is used: no
 * catch-all `/api/auth/*` handler is mounted, so its sign-up, OAuth and password-reset endpoints
 * do not exist here, and every way in goes through Herald's own routes (throttle, audit,
 * Origin check). Passwords: scrypt (N=16384, r=16, p=1: 32 MiB per hash), better-auth's default.
 */
export function createAuth(db: Db, settings: AuthSettings) {
  return betterAuth({
    appName: 'Herald',
    baseURL: settings.publicUrl,
    secret: settings.secret,
    database: drizzleAdapter(db, {
      provider: 'pg',
      schema: { user: users, session: sessions, account: accounts, verification: verifications },
    }),
    emailAndPassword: {
      enabled: true,
      // People are created by an admin, the CLI or the first-run setup link, never by themselves.
      disableSignUp: true,
      minPasswordLength: 12,
      maxPasswordLength: 256,
      revokeSessionsOnPasswordReset: true,
    },
    user: {
      additionalFields: {
        role: { type: 'string', input: false, defaultValue: 'viewer', required: false },
        disabled: { type: 'boolean', input: false, defaultValue: false, required: false },
      },
    },
    session: {
      expiresIn: settings.sessionSeconds,
      // Sliding expiry, written at most once an hour per session.
      updateAge: 3600,
      // No cookie cache: every request reads the session row, so disabling someone, changing
      // their role or signing them out takes effect on their very next request.
      cookieCache: { enabled: false },
    },
    advanced: {
      cookiePrefix: COOKIE_PREFIX,
      useSecureCookies: settings.secureCookies,
      defaultCookieAttributes: { httpOnly: true, sameSite: 'lax', secure: settings.secureCookies },
    },
    // Herald throttles sign-ins itself, per account and per address, in the database
    // (lib/auth/password-guess-throttle.ts): better-auth's limiter only counts per address and only on its own
    // HTTP handler, which is not mounted.
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    // Its warnings ("Invalid password") add nothing to Herald's audit log; errors still show.
    logger: { level: 'error' },
    databaseHooks: {
      session: {
        create: {
          // A disabled account gets no session, whatever the way in.
          before: async (session) => {
            const [row] = await db
              .select({ disabled: users.disabled })
              .from(users)
              .where(eq(users.id, session.userId));
            return row !== undefined && !row.disabled;
          },
        },
      },
    },
  });
}

export type HeraldAuth = ReturnType<typeof createAuth>;

// One instance per process, on globalThis like the pool, so hot reload does not rebuild it.
const holder = globalThis as unknown as { heraldAuth?: HeraldAuth };

export function auth(): HeraldAuth {
  holder.heraldAuth ??= createAuth(sharedDb(), authSettings());
  return holder.heraldAuth;
}
