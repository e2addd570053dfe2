'use client';

import { useState } from 'react';
import { Button, Field, Problem, send } from './_form';

export function PasswordForm() {
  const [problem, setProblem] = useState('');
  const [done, setDone] = useState(false);
  return (
    <form
      className="space-y-4"
      onSubmit={async (e) => {
        e.preventDefault();
        const el = e.currentTarget;
        const form = new FormData(el);
        setDone(false);
        const sent = await send('/api/auth/password', 'POST', {
          currentPassword: String(form.get('current')),
          newPassword: String(form.get('next')),
        });
        if (!sent.ok) return setProblem(sent.message);
        setProblem('');
        setDone(true);
        el.reset();
      }}
    >
      <Field
        label="Current password"
        name="current"
        type="password"
        autoComplete="current-password"
        required
      />
      <Field
        label="New password (12 characters or more)"
        name="next"
        type="password"
        autoComplete="new-password"
        minLength={12}
        required
      />
      <Problem>{problem}</Problem>
      {done && (
        <p className="text-sm text-green-700 dark:text-green-400">
          Password changed; your other sessions were signed out.
        </p>
      )}
      <Button type="submit">Change password</Button>
    </form>
  );
}
