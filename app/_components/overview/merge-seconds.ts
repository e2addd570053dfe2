import type { Overview, SeriesPoint } from '@/lib/queries/overview';
import type { ActivityPayload } from '@/lib/realtime/messages';

/**
 * Applies a pushed activity message to the per-second series: its seconds REPLACE those
 * buckets (the server recounts recent seconds, so values can change), newer seconds slide the
 * 15-minute window forward. The chart moves the moment the message arrives, before any refetch.
 */
export function mergeSeconds(overview: Overview, activity: ActivityPayload): Overview {
  const series = overview.series;
  if (series.stepSeconds !== 1 || activity.seconds.length === 0) return overview;
  const newest = Math.max(series.to, ...activity.seconds.map((s) => s.t));
  const span = series.points.length;
  const from = newest - span + 1;
  const byT = new Map<number, SeriesPoint>();
  for (const p of series.points) if (p.t >= from) byT.set(p.t, p);
  for (const s of activity.seconds) if (s.t >= from) byT.set(s.t, { ...s });
  const points: SeriesPoint[] = [];
  for (let t = from; t <= newest; t++)
    points.push(byT.get(t) ?? { t, published: 0, succeeded: 0, failed: 0, dead: 0 });
  return { ...overview, series: { ...series, from, to: newest, points } };
}
