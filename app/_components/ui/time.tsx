'use client';

import { useSyncExternalStore } from 'react';
import {
  formatAbsolute,
  formatRelative,
  formatUtc,
  readerTimeZone,
  type TimeInput,
  toDate,
  toWire,
} from './time-format';
import { Tooltip } from './tooltip';

/**
 * One clock for every <Time> on the page, ticking every 10 s, so "3 min ago" stays true without
 * a timer per row. On the server (and while hydrating) it reads 0: the first render is then the
 * same on both sides — the absolute time in UTC — and the browser switches to relative and local
 * right after, with no hydration mismatch.
 */
let now = 0;
const listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | undefined;
function subscribe(listener: () => void) {
  listeners.add(listener);
  if (!timer) {
    now = Date.now();
    timer = setInterval(() => {
      now = Date.now();
      for (const l of listeners) l();
    }, 10_000);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}
// Cached between ticks: React needs the same value from every call until the store changes.
const clientNow = () => {
  if (!now) now = Date.now();
  return now;
};
const serverNow = () => 0;

/**
 * A point in time, the same way on every page: "3 min ago" when within a day, else
 * "2 Dec 16:52:48 CET" in the reader's zone; the exact UTC time (and the local one) on hover.
 * `absolute` always says the date and time.
 */
export function Time({
  value,
  absolute = false,
  className = '',
}: {
  value: TimeInput;
  absolute?: boolean;
  className?: string;
}) {
  const tick = useSyncExternalStore(subscribe, clientNow, serverNow);
  const d = toDate(value);
  if (Number.isNaN(d.getTime())) return <span className={className}>—</span>;
  const hydrated = tick !== 0;
  const local = hydrated ? formatAbsolute(d) : formatAbsolute(d, { timeZone: 'UTC' });
  const relative = hydrated && !absolute ? formatRelative(d, tick) : null;
  const text = relative ?? local;
  return (
    <Tooltip content={`${formatUtc(d)}${hydrated ? `\n${formatAbsolute(d)} (${readerTimeZone()})` : ''}`}>
      <time dateTime={toWire(d)} className={`whitespace-nowrap tabular-nums ${className}`}>
        {text}
      </time>
    </Tooltip>
  );
}
