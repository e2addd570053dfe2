import { CliError } from './errors';

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `2h`, `30m`, `7d` (that long before `now`) or an ISO time, as a Date. */
export function parseSince(value: string, option: string, now = Date.now()): Date {
  const m = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(value.trim());
  if (m) return new Date(now - Number(m[1]) * UNITS[m[2]!]!);
  const date = new Date(value);
  if (/^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(date.getTime())) return date;
  throw new CliError(`${option}: expected a duration like 30m, 2h, 7d or an ISO time, got "${value}"`);
}
