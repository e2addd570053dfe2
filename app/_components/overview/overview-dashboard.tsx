'use client';

import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useEffect } from 'react';
import { fetchJson } from '@/app/providers/fetch-json';
import { usePollInterval, useStream } from '@/app/providers/stream';
import type { ReadsInfo } from '@/lib/db/read-routing';
import { DEFAULT_RANGE, isRange, type Range } from '@/lib/overview/ranges';
import type { Overview } from '@/lib/queries/overview';

/** /api/v1/overview's answer: the overview and where it was read (lib/db/read-routing.ts). */
type OverviewAnswer = Overview & { reads?: ReadsInfo };

import { PageSkeleton } from '../ui/empty-state';
import { KpiCards } from './kpi-cards';
import { LiveStatus } from './live-status';
import { mergeSeconds } from './merge-seconds';
import { NoWorkersWarning } from './no-workers';
import { RangeSwitcher } from './range-switcher';
import { ReadsNote } from './reads-note';
import { SubscriptionsTable } from './subscriptions-table';
import { ThroughputChart } from './throughput-chart';
import { Card } from './ui';
import { WorkersList } from './workers-list';

/** Query keys under ['live'] are invalidated by the stream (app/providers/stream.tsx). */
export const overviewKey = (range: Range) => ['live', 'overview', range] as const;

export function OverviewDashboard() {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const rangeParam = params.get('range');
  const range: Range = isRange(rangeParam) ? rangeParam : DEFAULT_RANGE;
  const queryClient = useQueryClient();
  const { onActivity } = useStream();
  const poll = usePollInterval();

  const query = useQuery({
    queryKey: overviewKey(range),
    queryFn: ({ signal }) => fetchJson<OverviewAnswer>(`/api/v1/overview?range=${range}`, signal),
    refetchInterval: poll,
    placeholderData: keepPreviousData,
  });

  // The per-second chart takes pushed seconds directly; everything else refetches (throttled).
  useEffect(
    () =>
      onActivity((activity) =>
        queryClient.setQueryData<OverviewAnswer>(overviewKey('15m'), (old) =>
          old ? mergeSeconds(old, activity) : old,
        ),
      ),
    [onActivity, queryClient],
  );

  const setRange = (next: Range) => {
    const q = new URLSearchParams(params);
    if (next === DEFAULT_RANGE) q.delete('range');
    else q.set('range', next);
    router.replace(q.size ? `${pathname}?${q}` : pathname, { scroll: false });
  };

  const data = query.data;
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <LiveStatus />
        {query.isError ? (
          <p role="alert" className="text-sm text-red-700 dark:text-red-400">
            Could not load the overview: {query.error.message}
            {data ? ' — showing the last numbers received.' : ''}{' '}
            <button type="button" className="underline" onClick={() => void query.refetch()}>
              Retry
            </button>
          </p>
        ) : null}
      </div>
      {data ? (
        <>
          <ReadsNote reads={data.reads} />
          <NoWorkersWarning data={data} />
          <KpiCards data={data} />
          <Card title="Throughput" actions={<RangeSwitcher value={range} onChange={setRange} />}>
            <ThroughputChart series={data.series} />
          </Card>
          <Card title="Subscriptions">
            <SubscriptionsTable rows={data.subscriptions} cap={data.countCap} />
          </Card>
          <Card title="Workers">
            <WorkersList rows={data.workers} />
          </Card>
        </>
      ) : query.isPending ? (
        <PageSkeleton rows={6} label="Loading the overview" />
      ) : null}
    </div>
  );
}
