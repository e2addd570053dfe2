import type { ReactNode } from 'react';

/**
 * What a list says when it has nothing to show: what would be here, and how to get it there
 * (e.g. "publish your first event with …").
 */
export function EmptyState({ title, children }: { title?: string; children?: ReactNode }) {
  return (
    <div className="rounded-lg border border-dashed border-zinc-300 px-4 py-6 text-sm text-zinc-600 dark:border-zinc-700 dark:text-zinc-400">
      {title && <p className="font-medium text-zinc-800 dark:text-zinc-200">{title}</p>}
      {children && <div className={title ? 'mt-1' : ''}>{children}</div>}
    </div>
  );
}

/** A grey placeholder bar for loading skeletons. */
export function Skeleton({ className = '' }: { className?: string }) {
  return <div aria-hidden className={`animate-pulse rounded bg-zinc-200 dark:bg-zinc-800 ${className}`} />;
}

/** The whole-page loading state (loading.tsx): a heading bar and some rows. */
export function PageSkeleton({ rows = 8, label = 'Loading' }: { rows?: number; label?: string }) {
  return (
    <div role="status" aria-label={label} aria-busy="true">
      <Skeleton className="mb-6 h-7 w-48" />
      <Skeleton className="mb-4 h-9 w-full max-w-3xl" />
      <div className="space-y-2">
        {Array.from({ length: rows }, (_, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: placeholders have no identity
          <Skeleton key={i} className="h-6 w-full" />
        ))}
      </div>
    </div>
  );
}
