/**
 * Times in verdicts: "10:02:13" today, "27 Nov 10:02:13" on another day, in one time zone
 * (HERALD_TIMEZONE on the page, UTC in tests) named once on the page rather than in every line.
 */
export interface Clock {
  now: Date;
  timeZone: string;
}

function parts(d: Date, timeZone: string) {
  const f = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  const p = Object.fromEntries(f.formatToParts(d).map((x) => [x.type, x.value]));
  return {
    day: `${p.day} ${p.month}`,
    year: p.year ?? '',
    hm: `${p.hour}:${p.minute}`,
    hms: `${p.hour}:${p.minute}:${p.second}`,
  };
}

function prefix(d: Date, clock: Clock): string {
  const a = parts(d, clock.timeZone);
  const b = parts(clock.now, clock.timeZone);
  if (a.day === b.day && a.year === b.year) return '';
  return a.year === b.year ? `${a.day} ` : `${a.day} ${a.year} `;
}

/** "10:02:13", or "27 Nov 10:02:13" when not today. */
export function at(d: Date, clock: Clock): string {
  return `${prefix(d, clock)}${parts(d, clock.timeZone).hms}`;
}

/** "10:42" (minutes are precise enough for a future retry), with the day when not today. */
export function atMinute(d: Date, clock: Clock): string {
  return `${prefix(d, clock)}${parts(d, clock.timeZone).hm}`;
}

/** "27 Nov 2026" */
export function onDay(d: Date, clock: Clock): string {
  const p = parts(d, clock.timeZone);
  return `${p.day} ${p.year}`;
}

/** "850 ms", "2.4 s", "3 min 5 s" */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
