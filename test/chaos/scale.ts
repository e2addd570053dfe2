/**
 * One switch for the whole suite: CHAOS_SCALE=full is `npm run chaos` (minutes per scenario,
 * the figures in docs/RELIABILITY.md); anything else is the short form `npm test` runs
 * (seconds per scenario). Scenarios read every duration through `pick`, so both forms run the
 * same code.
 */
export type ChaosScale = 'short' | 'full';

export function chaosScale(): ChaosScale {
  return process.env.CHAOS_SCALE === 'full' ? 'full' : 'short';
}

export function pick<T>(scale: ChaosScale, short: T, full: T): T {
  return scale === 'full' ? full : short;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
