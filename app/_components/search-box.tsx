'use client';

import { useEffect, useRef } from 'react';

/**
 * The lookup box in the header of every page: an order id, email, event id or key → /lookup.
 * `/` focuses it from anywhere except while typing in another field.
 */
export function SearchBox() {
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
      const t = e.target as HTMLElement | null;
      if (t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName))) return;
      e.preventDefault();
      ref.current?.focus();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return (
    <search className="ml-auto min-w-0 flex-1 sm:flex-none">
      <form action="/lookup" method="get">
        <input
          ref={ref}
          type="search"
          name="q"
          aria-label="Look up an order, email, event or key"
          placeholder="Look up… (press /)"
          aria-keyshortcuts="/"
          className="w-full rounded-md border border-zinc-300 bg-white px-3 py-1.5 text-sm placeholder:text-zinc-500 sm:w-48 xl:w-64 dark:border-zinc-700 dark:bg-zinc-900 dark:placeholder:text-zinc-400"
        />
      </form>
    </search>
  );
}
