'use client';

import { type StreamStatus, useStream } from '@/app/providers/stream';

const TEXT: Record<StreamStatus, { label: string; dot: string }> = {
  live: { label: 'Live', dot: 'bg-emerald-500' },
  connecting: { label: 'Connecting…', dot: 'bg-zinc-400' },
  polling: { label: 'Live updates paused — polling', dot: 'bg-amber-500' },
  hidden: { label: 'Paused while the tab is hidden', dot: 'bg-zinc-400' },
};

/** Says whether the numbers are pushed live or polled because the stream is down. */
export function LiveStatus() {
  const { status } = useStream();
  const { label, dot } = TEXT[status];
  return (
    <p
      role="status"
      aria-label="Live updates"
      data-status={status}
      className="inline-flex items-center gap-2 rounded-full border border-zinc-200 px-3 py-1 text-xs text-zinc-600 dark:border-zinc-800 dark:text-zinc-300"
    >
      <span
        aria-hidden
        className={`h-2 w-2 rounded-full ${dot} ${status === 'live' ? 'animate-pulse' : ''}`}
      />
      {label}
    </p>
  );
}
