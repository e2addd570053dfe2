import { toWire } from '../ui/time-format';

/** Relative windows of the dead-letter filter; frozen to absolute times when a bulk action is confirmed. */
export const windows = {
  '15m': 15 * 60_000,
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
} as const;
export type WindowName = keyof typeof windows;

export function isWindow(v: string | undefined): v is WindowName {
  return v !== undefined && v in windows;
}

/** The window as it stands right now: `since` its start, `until` now (later deaths excluded). */
export function freeze(name: WindowName, now = new Date()): { since: string; until: string } {
  return { since: toWire(now.getTime() - windows[name]), until: toWire(now) };
}
