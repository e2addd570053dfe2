'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import type { Role } from '@/lib/auth/principal';
import { Button, Field, inputClass, Problem, send } from '../../account/_form';

const ROLES: Role[] = ['viewer', 'support', 'operator', 'admin'];
const td = 'border-t border-zinc-100 px-4 py-2 dark:border-zinc-800';

interface Row {
  id: string;
  email: string;
  role: Role;
  disabled: boolean;
  since: string;
}

export function UserRow({ user, self }: { user: Row; self: boolean }) {
  const router = useRouter();
  const [problem, setProblem] = useState('');
  const change = async (body: { role?: Role; disabled?: boolean }) => {
    const sent = await send(`/api/auth/users/${encodeURIComponent(user.id)}`, 'PATCH', body);
    setProblem(sent.ok ? '' : sent.message);
    router.refresh();
  };
  return (
    <tr>
      <td className={`${td} font-mono`}>{user.email}</td>
      <td className={td}>
        <select
          aria-label={`Role of ${user.email}`}
          className={inputClass}
          value={user.role}
          onChange={(e) => change({ role: e.target.value as Role })}
        >
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </td>
      <td className={td}>{user.disabled ? 'Disabled' : 'Active'}</td>
      <td className={td}>{user.since}</td>
      <td className={td}>
        {!self && (
          <button
            type="button"
            className="text-sm underline"
            onClick={() => change({ disabled: !user.disabled })}
          >
            {user.disabled ? `Enable ${user.email}` : `Disable ${user.email}`}
          </button>
        )}
        <Problem>{problem}</Problem>
      </td>
    </tr>
  );
}

export function CreateUser() {
  const router = useRouter();
  const [problem, setProblem] = useState('');
  const [created, setCreated] = useState<{ email: string; password?: string } | null>(null);
  return (
    <form
      className="max-w-sm space-y-4"
      onSubmit={async (e) => {
        e.preventDefault();
        const el = e.currentTarget;
        const form = new FormData(el);
        const password = String(form.get('password') ?? '');
        const sent = await send<{ user: { email: string }; password?: string }>('/api/auth/users', 'POST', {
          email: String(form.get('email')),
          role: String(form.get('role')),
          ...(password ? { password } : {}),
        });
        if (!sent.ok) return setProblem(sent.message);
        setProblem('');
        setCreated({ email: sent.data.user.email, password: sent.data.password });
        el.reset();
        router.refresh();
      }}
    >
      <Field label="Email" name="email" type="email" required />
      <label className="block text-sm">
        <span className="mb-1 block font-medium">Role</span>
        <select name="role" aria-label="Role" className={inputClass} defaultValue="support">
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </label>
      <Field
        label="Password (leave empty to generate one)"
        name="password"
        type="password"
        autoComplete="new-password"
        minLength={12}
      />
      <Problem>{problem}</Problem>
      <Button type="submit">Create user</Button>
      {created && (
        <p role="status" className="text-sm">
          Created {created.email}.
          {created.password && (
            <>
              {' '}
              Their password, shown only now: <code className="font-mono">{created.password}</code>
            </>
          )}
        </p>
      )}
    </form>
  );
}
