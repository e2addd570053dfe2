import type { Metadata } from 'next';
import { formatDay } from '@/app/_components/ui/time-format';
import { guardPage } from '@/lib/auth/guard';
import { listUsers } from '@/lib/auth/users';
import { sharedDb } from '@/lib/db/client';
import { CreateUser, UserRow } from './users-admin';

export const metadata: Metadata = { title: 'Users' };
export const dynamic = 'force-dynamic';

const th = 'px-4 py-2 font-medium text-zinc-500';

export default async function UsersPage() {
  const me = await guardPage('/admin/users');
  const users = await listUsers(sharedDb());
  return (
    <>
      <h1 className="mb-4 text-xl font-semibold tracking-tight">Users</h1>
      <div className="mb-10 overflow-hidden rounded-lg border border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900">
        <table className="w-full text-left text-sm">
          <thead>
            <tr>
              <th className={th}>Email</th>
              <th className={th}>Role</th>
              <th className={th}>Status</th>
              <th className={th}>Since</th>
              <th className={th}>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <UserRow
                key={u.id}
                user={{
                  id: u.id,
                  email: u.email,
                  role: u.role,
                  disabled: u.disabled,
                  since: formatDay(u.createdAt),
                }}
                self={u.id === me.id}
              />
            ))}
          </tbody>
        </table>
      </div>
      <h2 className="mb-3 text-sm font-semibold uppercase tracking-wide text-zinc-500">Add a person</h2>
      <CreateUser />
    </>
  );
}
