'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { AlertConfirm } from '@/app/_components/ui/dialog';
import { toast } from '@/app/_components/ui/toast';
import { Button, Field, Problem, send } from '../../account/_form';

const SCOPES = ['publish', 'read', 'operate'] as const;

/** `reference` is the key's exact prefix (`hk_1a2b3c4d`): keys are revoked by prefix, never by name. */
export function RevokeKey({ name, reference }: { name: string; reference: string }) {
  const router = useRouter();
  const [problem, setProblem] = useState('');
  return (
    <>
      <AlertConfirm
        trigger={
          <button type="button" className="text-sm underline">
            Revoke {name}
          </button>
        }
        title={`Revoke ${name}?`}
        description="Programs using it stop working at once. This cannot be undone."
        confirm="Revoke key"
        onConfirm={async () => {
          const sent = await send(`/api/auth/api-keys/${encodeURIComponent(reference)}`, 'DELETE');
          setProblem(sent.ok ? '' : sent.message);
          if (sent.ok) toast.success(`Key ${name} revoked`);
          router.refresh();
        }}
      />
      <Problem>{problem}</Problem>
    </>
  );
}

export function CreateKey() {
  const router = useRouter();
  const [problem, setProblem] = useState('');
  const [secret, setSecret] = useState<{ name: string; token: string } | null>(null);
  return (
    <form
      className="max-w-sm space-y-4"
      onSubmit={async (e) => {
        e.preventDefault();
        const el = e.currentTarget;
        const form = new FormData(el);
        const channels = String(form.get('channels') ?? '')
          .split(',')
          .map((c) => c.trim())
          .filter(Boolean);
        const sent = await send<{ key: { name: string }; token: string }>('/api/auth/api-keys', 'POST', {
          name: String(form.get('name')),
          scopes: SCOPES.filter((s) => form.get(`scope-${s}`) === 'on'),
          ...(channels.length ? { publishChannels: channels } : {}),
        });
        if (!sent.ok) return setProblem(sent.message);
        setProblem('');
        setSecret({ name: sent.data.key.name, token: sent.data.token });
        el.reset();
        router.refresh();
      }}
    >
      <Field label="Name" name="name" required placeholder="checkout-service" />
      <fieldset className="text-sm">
        <legend className="mb-1 font-medium">Scopes</legend>
        {SCOPES.map((s) => (
          <label key={s} className="mr-4">
            <input type="checkbox" name={`scope-${s}`} className="mr-1" />
            {s}
          </label>
        ))}
      </fieldset>
      <Field label="Publish channels (comma-separated, e.g. order.*)" name="channels" />
      <Problem>{problem}</Problem>
      <Button type="submit">Create key</Button>
      {secret && (
        <p role="status" className="break-all text-sm">
          Key {secret.name}, shown only now — copy it: <code className="font-mono">{secret.token}</code>
        </p>
      )}
    </form>
  );
}
