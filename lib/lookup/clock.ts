import { config } from '../config';
import type { Clock } from './format';

/** The page's clock: now, in HERALD_TIMEZONE (validated by lib/config.ts; UTC by default). */
export function pageClock(): Clock {
  return { now: new Date(), timeZone: config().HERALD_TIMEZONE };
}
