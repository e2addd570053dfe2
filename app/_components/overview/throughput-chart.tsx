'use client';

import { Area, AreaChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { Series } from '@/lib/queries/overview';
import { formatAxis } from '../ui/time-format';
import { formatCount } from './format';

const COLORS = { published: '#0ea5e9', delivered: '#10b981', failed: '#ef4444' };

/** The axis says times the way <Time> does (app/_components/ui/time-format.ts): 24-hour, the reader's zone. */
function timeLabel(stepSeconds: number, spanPoints: number) {
  const weekday = stepSeconds * spanPoints > 2 * 86_400;
  const seconds = !weekday && stepSeconds === 1;
  return (t: number) => formatAxis(t * 1000, { seconds, weekday });
}

/**
 * Published, delivered and failed (failed + dead attempts) per bucket. Animation is off: the
 * data changes every second and an animated chart would never settle. The figure's caption
 * states the window's totals in words, for screen readers and tests.
 */
export function ThroughputChart({ series }: { series: Series }) {
  const data = series.points.map((p) => ({
    t: p.t,
    published: p.published,
    delivered: p.succeeded,
    failed: p.failed + p.dead,
  }));
  const totals = data.reduce(
    (a, p) => ({
      published: a.published + p.published,
      delivered: a.delivered + p.delivered,
      failed: a.failed + p.failed,
    }),
    { published: 0, delivered: 0, failed: 0 },
  );
  const label = timeLabel(series.stepSeconds, data.length);
  const unit =
    series.stepSeconds === 1
      ? 'per second'
      : series.stepSeconds === 60
        ? 'per minute'
        : `per ${series.stepSeconds / 60} minutes`;
  return (
    <figure aria-label="Throughput chart" data-published={totals.published} data-failed={totals.failed}>
      <div className="h-64 w-full">
        <ResponsiveContainer width="100%" height="100%">
          <AreaChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid
              strokeDasharray="3 3"
              stroke="currentColor"
              className="text-zinc-200 dark:text-zinc-800"
            />
            <XAxis
              dataKey="t"
              type="number"
              domain={['dataMin', 'dataMax']}
              tickFormatter={label}
              tick={{ fontSize: 11, fill: 'currentColor' }}
              className="text-zinc-500"
              minTickGap={40}
            />
            <YAxis
              allowDecimals={false}
              width={48}
              tick={{ fontSize: 11, fill: 'currentColor' }}
              className="text-zinc-500"
            />
            <Tooltip
              labelFormatter={(t) => label(Number(t))}
              contentStyle={{ fontSize: 12, borderRadius: 6 }}
            />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            {(['published', 'delivered', 'failed'] as const).map((key) => (
              <Area
                key={key}
                type="monotone"
                dataKey={key}
                name={key[0]!.toUpperCase() + key.slice(1)}
                stroke={COLORS[key]}
                fill={COLORS[key]}
                fillOpacity={0.12}
                strokeWidth={1.5}
                isAnimationActive={false}
                dot={false}
              />
            ))}
          </AreaChart>
        </ResponsiveContainer>
      </div>
      <figcaption className="mt-2 text-xs text-zinc-500 dark:text-zinc-400">
        {unit}: {formatCount(totals.published)} published, {formatCount(totals.delivered)} delivered,{' '}
        {formatCount(totals.failed)} failed in this window
      </figcaption>
    </figure>
  );
}
