/**
 * The overview chart's windows, shared by the API (lib/queries/overview.ts) and the page. Per
 * second over 15 minutes from the 'second' rollups (kept 1 h); per minute beyond (kept 8 days).
 * Seven days are drawn in 10-minute buckets: 10,080 per-minute points are more than a chart
 * has pixels, and sending them took the overview past its 150 ms budget at 10 M rows.
 */
export const ranges = {
  '15m': { label: '15 min', resolution: 'second', stepSeconds: 1, spanSeconds: 15 * 60 },
  '1h': { label: '1 hour', resolution: 'minute', stepSeconds: 60, spanSeconds: 3600 },
  '24h': { label: '24 hours', resolution: 'minute', stepSeconds: 60, spanSeconds: 24 * 3600 },
  '7d': { label: '7 days', resolution: 'minute', stepSeconds: 600, spanSeconds: 7 * 24 * 3600 },
} as const;

export type Range = keyof typeof ranges;
export const rangeNames = Object.keys(ranges) as Range[];
export const DEFAULT_RANGE: Range = '15m';

export function isRange(value: string | null | undefined): value is Range {
  return typeof value === 'string' && Object.hasOwn(ranges, value);
}
