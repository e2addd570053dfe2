import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { authSettings } from '@/lib/auth/config';
import { currentPrincipal } from '@/lib/auth/guard';
import { safeNextPath } from '@/lib/auth/safe-next';
import { SignInForm } from './sign-in-form';

export const metadata: Metadata = { title: 'Sign in' };
export const dynamic = 'force-dynamic';

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  // Only paths on this site: `?next=/\evil.example` must not become an open redirect.
  const next = safeNextPath((await searchParams).next, authSettings().publicUrl);
  if (await currentPrincipal()) redirect(next);
  return (
    <div className="mx-auto mt-12 max-w-sm rounded-lg border border-zinc-200 bg-white p-6 shadow-sm dark:border-zinc-800 dark:bg-zinc-900">
      <h1 className="mb-4 text-xl font-semibold tracking-tight">Sign in</h1>
      <SignInForm next={next} />
    </div>
  );
}
