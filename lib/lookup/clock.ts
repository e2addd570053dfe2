import type { Clock } from './format';

/** The page's clock: now, in HERALD_TIMEZONE (an IANA name) or UTC. */
export function pageClock(): Clock {
  const zone = process.env.HERALD_TIMEZONE?.trim() || 'UTC';
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
    return { now: new Date(), timeZone: zone };
  } catch {
    return { now: new Date(), timeZone: 'UTC' };
  }
}
