import type { ReactNode } from 'react';
import { EmptyState } from './ui/empty-state';

export function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section aria-labelledby={`${slug(title)}-heading`} className="mb-10">
      <h2
        id={`${slug(title)}-heading`}
        className="mb-3 text-sm font-semibold uppercase tracking-wide text-zinc-600 dark:text-zinc-400"
      >
        {title}
      </h2>
      {children}
    </section>
  );
}

/** A list's empty state (the console's EmptyState, app/_components/ui/empty-state.tsx). */
export function Empty({ children }: { children: ReactNode }) {
  return <EmptyState>{children}</EmptyState>;
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-');
