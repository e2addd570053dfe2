import type { Metadata } from 'next';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { Nav } from './_components/nav';
import { SearchBox } from './_components/search-box';
import { UserMenu } from './account/user-menu';
import { Providers } from './providers';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Herald', template: '%s · Herald' },
  description: 'Operations dashboard of the Herald event bus',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen">
        <header className="border-b border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900">
          <div className="mx-auto flex max-w-6xl items-center gap-6 px-6 py-3">
            <Link href="/" className="text-lg font-semibold tracking-tight">
              Herald
            </Link>
            <Nav />
            <SearchBox />
            <UserMenu />
          </div>
        </header>
        <main className="mx-auto max-w-6xl px-6 py-8">
          <Providers>{children}</Providers>
        </main>
      </body>
    </html>
  );
}
