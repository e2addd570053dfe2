import { describe, expect, it } from 'vitest';
import { formatAbsolute, formatAxis, formatRelative, formatUtc } from '../app/_components/ui/time-format';

/** The console's one way of writing time (app/_components/ui/time-format.ts). */
describe('time formatting', () => {
  const now = new Date('2026-12-02T16:52:48.708Z');

  it('says recent times relatively, either way, and gives up past a day', () => {
    expect(formatRelative(new Date(now.getTime() - 2_000), now)).toBe('just now');
    expect(formatRelative(new Date(now.getTime() - 42_000), now)).toBe('42 s ago');
    expect(formatRelative(new Date(now.getTime() - 3 * 60_000 - 5_000), now)).toBe('3 min ago');
    expect(formatRelative(new Date(now.getTime() - 5 * 3_600_000), now)).toBe('5 h ago');
    expect(formatRelative(new Date(now.getTime() + 2 * 60_000), now)).toBe('in 2 min');
    expect(formatRelative(new Date(now.getTime() - 25 * 3_600_000), now)).toBeNull();
  });

  it('writes absolute times on a 24-hour clock with the zone named, the year only when not this one', () => {
    expect(formatAbsolute(now, { timeZone: 'UTC', now })).toBe('2 Dec 16:52:48 UTC');
    expect(formatAbsolute(now, { timeZone: 'Europe/Berlin', now })).toBe('2 Dec 17:52:48 CET');
    expect(formatAbsolute('2025-03-01T04:05:06Z', { timeZone: 'UTC', now })).toBe('1 Mar 2025 04:05:06 UTC');
  });

  it('gives the exact UTC time for tooltips and copies, never an ISO string', () => {
    expect(formatUtc(now)).toBe('2026-12-02 16:52:48.708 UTC');
    expect(formatUtc(now)).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
  });

  it('labels chart axes on the same 24-hour clock', () => {
    const label = formatAxis(now, { seconds: true });
    expect(label).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(label).not.toMatch(/AM|PM/);
    expect(formatAxis(now, { weekday: true })).toMatch(/^\w{3} \d\d:\d\d$/);
  });
});
