import { authSettings } from './config';

/**
 * How many password hashes this process runs at once (HERALD_PASSWORD_HASHES_AT_ONCE). The web
 * process that checks passwords also serves publishes: scrypt takes 32 MiB and a libuv thread per
 * hash, so a flood of sign-ins, each checking a password, would otherwise take memory and threads
 * from everything else. Past the limit an attempt is turned away at once (no queue to grow), before
 * the throttle counts it or anything is written.
 *
 * On globalThis, like the auth instance: every route bundle and hot reload shares one count.
 */
const holder = globalThis as unknown as { heraldHashesRunning?: { count: number } };

/** A release function when a slot was free, or undefined when all are in use. */
export function takeHashSlot(limit = authSettings().passwordHashesAtOnce): (() => void) | undefined {
  holder.heraldHashesRunning ??= { count: 0 };
  const running = holder.heraldHashesRunning;
  if (running.count >= limit) return undefined;
  running.count++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    running.count--;
  };
}

/** Seconds a turned-away attempt is told to wait: a hash takes well under one. */
export const BUSY_RETRY_AFTER_SECONDS = 1;
