import type { ReactNode } from 'react';

export function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section aria-labelledby={`${slug(title)}-heading`} className="mb-10">
      <h2
        id={`${slug(title)}-heading`}
        className="mb-3 text-sm font-semibold uppercase tracking-wide text-zinc-500"
      >
        {title}
      </h2>
      {children}
    </section>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return (
    <p className="rounded-lg border border-dashed border-zinc-300 px-4 py-6 text-sm text-zinc-500 dark:border-zinc-700">
      {children}
    </p>
  );
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-');
