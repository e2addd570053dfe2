import { Suspense } from 'react';
import { guardPage } from '@/lib/auth/guard';
import { OverviewDashboard } from './_components/overview/overview-dashboard';

export const dynamic = 'force-dynamic';

/**
 * The operator's screen: throughput, failures, queue depth, lag, subscriptions and workers,
 * kept current by the live stream (app/providers). Data comes from /api/v1/overview.
 */
export default async function OverviewPage() {
  await guardPage('/');
  return (
    <>
      <h1 className="mb-4 text-xl font-semibold tracking-tight">Overview</h1>
      {/* useSearchParams (the chart range) needs a Suspense boundary. */}
      <Suspense fallback={<p className="text-sm text-zinc-500">Loading…</p>}>
        <OverviewDashboard />
      </Suspense>
    </>
  );
}
