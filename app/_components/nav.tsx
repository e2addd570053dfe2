'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { Button } from './ui/button';
import { Menu, MenuLink } from './ui/menu';

const LINKS = [
  { href: '/', label: 'Overview' },
  { href: '/live', label: 'Live feed' },
  { href: '/events', label: 'Events' },
  { href: '/dead-letters', label: 'Dead letters' },
  { href: '/subscriptions', label: 'Subscriptions' },
  { href: '/alerts', label: 'Alerts' },
  { href: '/sandbox', label: 'Sandbox' },
] as const;

const isCurrent = (href: string, pathname: string) =>
  href === '/' ? pathname === '/' : pathname === href || pathname.startsWith(`${href}/`);

/**
 * The main navigation: one row of links from 1024 px up (each label on one line, never
 * wrapped), a "Menu" dropdown below that.
 */
export function Nav() {
  const pathname = usePathname();
  return (
    <>
      <nav aria-label="Main" className="hidden min-w-0 items-center gap-0.5 text-sm lg:flex">
        {LINKS.map(({ href, label }) => (
          <Link
            key={href}
            href={href}
            aria-current={isCurrent(href, pathname) ? 'page' : undefined}
            className="whitespace-nowrap rounded-md px-2.5 py-1.5 text-zinc-700 hover:bg-zinc-200/70 hover:text-zinc-900 focus-visible:outline-2 focus-visible:outline-sky-600 aria-[current=page]:bg-zinc-200 aria-[current=page]:font-medium aria-[current=page]:text-zinc-900 dark:text-zinc-300 dark:hover:bg-zinc-800 dark:hover:text-zinc-100 dark:aria-[current=page]:bg-zinc-800 dark:aria-[current=page]:text-zinc-100"
          >
            {label}
          </Link>
        ))}
      </nav>
      <div className="lg:hidden">
        <Menu
          label="Main menu"
          align="start"
          trigger={
            <Button variant="ghost">
              <svg aria-hidden viewBox="0 0 16 16" className="h-4 w-4" fill="currentColor">
                <path d="M2 3.5h12v1.5H2zM2 7.25h12v1.5H2zM2 11h12v1.5H2z" />
              </svg>
              Menu
            </Button>
          }
        >
          {LINKS.map(({ href, label }) => (
            <MenuLink key={href} href={href} current={isCurrent(href, pathname)}>
              {label}
            </MenuLink>
          ))}
          <MenuLink href="/lookup" current={isCurrent('/lookup', pathname)}>
            Lookup
          </MenuLink>
        </Menu>
      </div>
    </>
  );
}
