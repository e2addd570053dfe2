'use client';

import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useState } from 'react';
import { LiveStatus } from '../overview/live-status';
import { button, Card, input } from '../overview/ui';
import { EmptyState, PageSkeleton } from '../ui/empty-state';
import { FeedTable } from './feed-rows';
import { useFeed } from './use-feed';

/** Events and outcomes as they happen; filters live in the URL so a view can be shared. */
export function LiveFeed() {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const channel = params.get('channel') ?? undefined;
  const subscription = params.get('subscription') ?? undefined;
  const [paused, setPaused] = useState(false);
  const { rows, loading, error, retry } = useFeed({ channel, subscription }, paused);

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <form
          className="flex flex-wrap items-end gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            const form = new FormData(e.currentTarget);
            const q = new URLSearchParams();
            for (const name of ['channel', 'subscription']) {
              const v = String(form.get(name) ?? '').trim();
              if (v) q.set(name, v);
            }
            router.replace(q.size ? `${pathname}?${q}` : pathname);
          }}
        >
          <label className="flex flex-col gap-1 text-xs text-zinc-500">
            Channel
            <input name="channel" defaultValue={channel} placeholder="order.approved" className={input} />
          </label>
          <label className="flex flex-col gap-1 text-xs text-zinc-500">
            Subscription
            <input name="subscription" defaultValue={subscription} placeholder="email" className={input} />
          </label>
          <button type="submit" className={button}>
            Filter
          </button>
        </form>
        <div className="flex items-center gap-3">
          <LiveStatus />
          <button type="button" className={button} aria-pressed={paused} onClick={() => setPaused((p) => !p)}>
            {paused ? 'Resume' : 'Pause'}
          </button>
        </div>
      </div>
      <Card title={paused ? 'Recent activity (paused)' : 'Recent activity'}>
        {error ? (
          <p role="alert" className="text-sm text-red-700 dark:text-red-400">
            Could not load the feed: {error.message}{' '}
            <button type="button" className="underline" onClick={retry}>
              Retry
            </button>
          </p>
        ) : loading ? (
          <PageSkeleton rows={6} label="Loading the feed" />
        ) : rows.length === 0 ? (
          <EmptyState title={`Nothing yet${channel || subscription ? ' for this filter' : ''}.`}>
            New events and delivery outcomes appear here as they happen — publish your first event with{' '}
            <code className="font-mono">POST /api/v1/events</code> or{' '}
            <code className="font-mono">npm run demo</code>.
          </EmptyState>
        ) : (
          <FeedTable rows={rows} />
        )}
      </Card>
    </div>
  );
}
