/**
 * The console's one way to write a time; every page and chart goes through here (the `<Time>`
 * component, the chart axes). 24-hour clock, day before month ("2 Dec 16:52:48 CET"), the
 * reader's time zone named; recent times relative ("3 min ago"); exact UTC for tooltips and
 * copies ("2026-12-02 16:52:48.708 UTC"). Verdict sentences keep the server's zone
 * (lib/lookup/format.ts), because support pastes them into tickets.
 */
export type TimeInput = Date | string | number;

export const toDate = (v: TimeInput): Date => (v instanceof Date ? v : new Date(v));

/** Up to this age (either way) a time is said relatively. */
export const RELATIVE_MS = 24 * 3_600_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(key: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { hourCycle: 'h23', ...options });
    formatters.set(key, f);
  }
  return f;
}

function parts(d: Date, timeZone: string | undefined, withZone: boolean) {
  const f = formatter(`${timeZone ?? ''}|${withZone}`, {
    timeZone,
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    ...(withZone ? { timeZoneName: 'short' } : {}),
  });
  const p = Object.fromEntries(f.formatToParts(d).map((x) => [x.type, x.value]));
  return {
    day: `${p.day} ${p.month}`,
    year: p.year ?? '',
    hms: `${p.hour}:${p.minute}:${p.second}`,
    zone: p.timeZoneName ?? '',
  };
}

/**
 * "2 Dec 16:52:48 CET" in `timeZone` (the reader's when undefined); the year joins when it is
 * not this year's.
 */
export function formatAbsolute(value: TimeInput, opts: { timeZone?: string; now?: Date } = {}): string {
  const d = toDate(value);
  const p = parts(d, opts.timeZone, true);
  const thisYear = parts(opts.now ?? new Date(), opts.timeZone, false).year;
  return `${p.day}${p.year === thisYear ? '' : ` ${p.year}`} ${p.hms} ${p.zone}`.trim();
}

/** "just now", "42 s ago", "3 min ago", "5 h ago", "in 2 min"; past a day, null (say it absolutely). */
export function formatRelative(value: TimeInput, now: Date | number): string | null {
  const diff = (typeof now === 'number' ? now : now.getTime()) - toDate(value).getTime();
  const abs = Math.abs(diff);
  if (abs > RELATIVE_MS) return null;
  if (abs < 5_000) return 'just now';
  const s = Math.round(abs / 1000);
  const text = s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min` : `${Math.floor(s / 3600)} h`;
  return diff >= 0 ? `${text} ago` : `in ${text}`;
}

/**
 * ISO 8601 ("2026-12-02T16:52:48.708Z") for machines only: URLs, request bodies, props sent to
 * the browser and `<time dateTime>`. Never shown to a reader; test/date-formatting.test.ts keeps
 * every other page off `toISOString` and the locale formatters.
 */
export function toWire(value: TimeInput): string {
  return toDate(value).toISOString();
}

/** "2026-12-02 16:52:48.708 UTC": exact, for tooltips and copies. */
export function formatUtc(value: TimeInput): string {
  return `${toWire(value).replace('T', ' ').replace('Z', '')} UTC`;
}

/** The chart axis: "16:52:48", "16:52", or "Wed 16:52" for spans over two days; 24-hour, the reader's zone. */
export function formatAxis(value: TimeInput, opts: { seconds?: boolean; weekday?: boolean } = {}): string {
  const f = formatter(`axis|${opts.seconds ? 's' : ''}|${opts.weekday ? 'w' : ''}`, {
    hour: '2-digit',
    minute: '2-digit',
    ...(opts.seconds ? { second: '2-digit' } : {}),
    ...(opts.weekday ? { weekday: 'short' } : {}),
  });
  return f.format(toDate(value));
}

/** A date alone, "2 Dec 2026" (e.g. when an account was created). */
export function formatDay(value: TimeInput, timeZone?: string): string {
  const p = parts(toDate(value), timeZone, false);
  return `${p.day} ${p.year}`;
}

/** The reader's time zone, named: "Europe/Berlin". */
export function readerTimeZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone;
}
