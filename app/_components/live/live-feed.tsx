'use client';

import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useState } from 'react';
import { LiveStatus } from '../overview/live-status';
import { button, Card, input } from '../overview/ui';
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
  const { rows, loading, error } = useFeed({ channel, subscription }, paused);

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
            Could not load the feed: {error.message}
          </p>
        ) : loading ? (
          <p className="text-sm text-zinc-500">Loading…</p>
        ) : rows.length === 0 ? (
          <p className="text-sm text-zinc-500">
            Nothing yet{channel || subscription ? ' for this filter' : ''}: new events appear here as they are
            published.
          </p>
        ) : (
          <FeedTable rows={rows} />
        )}
      </Card>
    </div>
  );
}
