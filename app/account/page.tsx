import type { Metadata } from 'next';
import { guardPage } from '@/lib/auth/guard';
import { PasswordForm } from './password-form';

export const metadata: Metadata = { title: 'Account' };
export const dynamic = 'force-dynamic';

export default async function AccountPage() {
  const me = await guardPage('/account');
  return (
    <div className="max-w-sm">
      <h1 className="mb-2 text-xl font-semibold tracking-tight">Account</h1>
      <p className="mb-8 text-sm text-zinc-600 dark:text-zinc-400">
        Signed in as {me.name} ({me.role}).
      </p>
      <h2 className="mb-3 text-sm font-semibold uppercase tracking-wide text-zinc-500">Change password</h2>
      <PasswordForm />
    </div>
  );
}
