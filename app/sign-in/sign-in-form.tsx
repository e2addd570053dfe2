'use client';

import { useState } from 'react';
import { safeNextPath } from '@/lib/auth/safe-next';
import { Button, Field, Problem, send } from '../account/_form';

export function SignInForm({ next }: { next: string }) {
  const [problem, setProblem] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <form
      className="space-y-4"
      onSubmit={async (e) => {
        e.preventDefault();
        const form = new FormData(e.currentTarget);
        setBusy(true);
        const sent = await send('/api/auth/sign-in', 'POST', {
          email: String(form.get('email')),
          password: String(form.get('password')),
        });
        setBusy(false);
        if (!sent.ok) return setProblem(sent.message);
        // A full load, so the layout renders with the new session. The page checked `next`
        // already; checked again here against the origin the browser is on, as it will read it.
        window.location.assign(safeNextPath(next, window.location.origin));
      }}
    >
      <Field label="Email" name="email" type="email" autoComplete="username" required />
      <Field label="Password" name="password" type="password" autoComplete="current-password" required />
      <Problem>{problem}</Problem>
      <Button type="submit" disabled={busy}>
        Sign in
      </Button>
    </form>
  );
}
