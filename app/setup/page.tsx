import type { Metadata } from 'next';
import { setupTokenUsable } from '@/lib/auth/setup';
import { sharedDb } from '@/lib/db/client';
import { SetupForm } from './setup-form';

export const metadata: Metadata = { title: 'First admin' };
export const dynamic = 'force-dynamic';

/** First run: the link printed at start-up leads here; the token in it is the credential. */
export default async function SetupPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { token } = await searchParams;
  const usable = typeof token === 'string' && (await setupTokenUsable(sharedDb(), token));
  return (
    <div className="mx-auto mt-12 max-w-sm rounded-lg border border-zinc-200 bg-white p-6 shadow-sm dark:border-zinc-800 dark:bg-zinc-900">
      <h1 className="mb-4 text-xl font-semibold tracking-tight">Create the first admin</h1>
      {usable ? (
        <SetupForm token={token} />
      ) : (
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          This setup link is not valid any more: it was used, it expired, or someone has an account already.{' '}
          <a className="underline" href="/sign-in">
            Sign in
          </a>{' '}
          instead, or restart Herald with no users for a new link.
        </p>
      )}
    </div>
  );
}
