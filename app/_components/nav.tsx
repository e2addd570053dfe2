'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';

/** Only pages that exist are listed; Events, Dead letters and Subscriptions join as they land. */
const LINKS = [
  { href: '/', label: 'Overview' },
  { href: '/live', label: 'Live feed' },
  { href: '/events', label: 'Events' },
  { href: '/dead-letters', label: 'Dead letters' },
  { href: '/subscriptions', label: 'Subscriptions' },
  { href: '/sandbox', label: 'Sandbox' },
] as const;

export function Nav() {
  const pathname = usePathname();
  return (
    <nav aria-label="Main" className="flex gap-1 text-sm">
      {LINKS.map(({ href, label }) => {
        const current = href === '/' ? pathname === '/' : pathname.startsWith(href);
        return (
          <Link
            key={href}
            href={href}
            aria-current={current ? 'page' : undefined}
            className="rounded-md px-3 py-1.5 text-zinc-600 hover:bg-zinc-200/70 hover:text-zinc-900 aria-[current=page]:bg-zinc-200 aria-[current=page]:font-medium aria-[current=page]:text-zinc-900 dark:text-zinc-400 dark:hover:bg-zinc-800 dark:hover:text-zinc-100 dark:aria-[current=page]:bg-zinc-800 dark:aria-[current=page]:text-zinc-100"
          >
            {label}
          </Link>
        );
      })}
    </nav>
  );
}
