'use client';

import type { ButtonHTMLAttributes, InputHTMLAttributes, ReactNode } from 'react';
import { inputClass, Button as UiButton } from '../_components/ui/button';

/** Form pieces shared by the sign-in, setup, account and admin pages. */
export { inputClass };

export function Field({ label, ...input }: { label: string } & InputHTMLAttributes<HTMLInputElement>) {
  return (
    <label className="block text-sm">
      <span className="mb-1 block font-medium">{label}</span>
      <input className={inputClass} {...input} />
    </label>
  );
}

/** The form's primary button (app/_components/ui/button). */
export function Button(props: { children: ReactNode } & ButtonHTMLAttributes<HTMLButtonElement>) {
  return <UiButton variant="primary" {...props} />;
}

export function Problem({ children }: { children: ReactNode }) {
  if (!children) return null;
  return (
    <p role="alert" className="text-sm text-red-600 dark:text-red-400">
      {children}
    </p>
  );
}

export type Sent<T> = { ok: true; data: T } | { ok: false; message: string };

/** Same-origin JSON request (the browser adds Origin, which the server checks). */
export async function send<T>(url: string, method: string, body?: unknown): Promise<Sent<T>> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? undefined : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await response.json().catch(() => null)) as
    | (T & { error?: { message?: string; details?: { path: string; message: string }[] } })
    | null;
  if (response.ok && json) return { ok: true, data: json };
  const details = json?.error?.details?.map((d) => `${d.path}: ${d.message}`).join('; ');
  return { ok: false, message: details || json?.error?.message || `request failed (${response.status})` };
}
