import type { Metadata } from 'next';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { currentPrincipal } from '@/lib/auth/guard';
import { can } from '@/lib/auth/principal';
import { Nav } from './_components/nav';
import { SearchBox } from './_components/search-box';
import { Toaster } from './_components/ui/toast';
import { UserMenu } from './account/user-menu';
import { Providers } from './providers';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Herald', template: '%s · Herald' },
  description: 'Operations dashboard of the Herald event bus',
};

/**
 * Signed in: navigation, lookup box and account menu. Signed out (sign-in, first-run setup,
 * the API reference): the name alone — nothing there would open for them anyway.
 */
export default async function RootLayout({ children }: { children: ReactNode }) {
  const me = await currentPrincipal();
  return (
    <html lang="en">
      <body className="min-h-screen">
        <a
          href="#main"
          className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 dark:focus:bg-zinc-900"
        >
          Skip to content
        </a>
        <header className="border-b border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900">
          <div className="mx-auto flex max-w-7xl items-center gap-3 px-4 py-2 lg:px-6">
            {me ? (
              <Link href="/" className="mr-1 text-lg font-semibold tracking-tight">
                Herald
              </Link>
            ) : (
              <span className="text-lg font-semibold tracking-tight">Herald</span>
            )}
            {me && (
              <>
                <Nav />
                <SearchBox />
                <UserMenu name={me.name} role={me.role ?? me.kind} admin={can(me, 'admin')} />
              </>
            )}
          </div>
        </header>
        <main id="main" className="mx-auto max-w-7xl px-4 py-6 lg:px-6">
          <Providers>{children}</Providers>
        </main>
        <Toaster />
      </body>
    </html>
  );
}
