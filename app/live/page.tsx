import type { Metadata } from 'next';
import { Suspense } from 'react';
import { LiveFeed } from '@/app/_components/live/live-feed';
import { guardPage } from '@/lib/auth/guard';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Live feed' };

export default async function LivePage() {
  await guardPage('/live');
  return (
    <>
      <h1 className="mb-4 text-xl font-semibold tracking-tight">Live feed</h1>
      <Suspense fallback={<p className="text-sm text-zinc-500">Loading…</p>}>
        <LiveFeed />
      </Suspense>
    </>
  );
}
