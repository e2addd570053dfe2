import type { ReactNode } from 'react';

export const cardClass = 'rounded-lg border border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900';

/** A titled panel; the title names the region for screen readers and tests. */
export function Card({
  title,
  actions,
  children,
  className = '',
}: {
  title?: string;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
}) {
  const id = title ? `${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-title` : undefined;
  return (
    <section aria-labelledby={id} className={`${cardClass} p-4 ${className}`}>
      {title && (
        <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
          <h2 id={id} className="text-sm font-semibold text-zinc-700 dark:text-zinc-300">
            {title}
          </h2>
          {actions}
        </div>
      )}
      {children}
    </section>
  );
}
