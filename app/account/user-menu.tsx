import Link from 'next/link';
import { currentPrincipal } from '@/lib/auth/guard';
import { can } from '@/lib/auth/principal';
import { SignOutButton } from './sign-out-button';

/** The header's right side: who is signed in, the pages their role opens, and sign-out. */
export async function UserMenu() {
  const me = await currentPrincipal();
  if (!me) return null;
  const link =
    'rounded-md px-3 py-1.5 text-zinc-600 hover:bg-zinc-200/70 dark:text-zinc-400 dark:hover:bg-zinc-800';
  return (
    <nav aria-label="Account" className="ml-auto flex items-center gap-1 text-sm">
      <Link className={link} href="/audit">
        Audit log
      </Link>
      {can(me, 'admin') && (
        <>
          <Link className={link} href="/admin/users">
            Users
          </Link>
          <Link className={link} href="/admin/api-keys">
            API keys
          </Link>
        </>
      )}
      <Link className={link} href="/account" title={`${me.name} (${me.role})`}>
        {me.name}
      </Link>
      <SignOutButton />
    </nav>
  );
}
