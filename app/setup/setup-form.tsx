'use client';

import { useState } from 'react';
import { Button, Field, Problem, send } from '../account/_form';

export function SetupForm({ token }: { token: string }) {
  const [problem, setProblem] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <form
      className="space-y-4"
      onSubmit={async (e) => {
        e.preventDefault();
        const form = new FormData(e.currentTarget);
        if (form.get('password') !== form.get('confirm')) return setProblem('the two passwords differ');
        setBusy(true);
        const sent = await send('/api/auth/setup', 'POST', {
          token,
          email: String(form.get('email')),
          password: String(form.get('password')),
        });
        setBusy(false);
        if (!sent.ok) return setProblem(sent.message);
        window.location.assign('/admin/users');
      }}
    >
      <Field label="Email" name="email" type="email" autoComplete="username" required />
      <Field
        label="Password (12 characters or more)"
        name="password"
        type="password"
        autoComplete="new-password"
        minLength={12}
        required
      />
      <Field
        label="Password again"
        name="confirm"
        type="password"
        autoComplete="new-password"
        minLength={12}
        required
      />
      <Problem>{problem}</Problem>
      <Button type="submit" disabled={busy}>
        Create admin and sign in
      </Button>
    </form>
  );
}
