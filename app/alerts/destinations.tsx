'use client';

import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import { buttonClass, inputClass } from '../_components/ui/button';
import { toast } from '../_components/ui/toast';
import { type AlertActionResult, addDestination, removeDestination, sendTest } from './actions';

function useAct() {
  const router = useRouter();
  const [pending, start] = useTransition();
  const act = (work: () => Promise<AlertActionResult>, then?: (r: AlertActionResult) => void) =>
    start(async () => {
      const r = await work();
      if (r.ok) toast.success(r.message);
      else toast.error(r.message);
      then?.(r);
      router.refresh();
    });
  return { pending, act };
}

/** "Send a test alert" (operators) and "Remove" (admins, not for `env:` destinations). */
export function DestinationButtons({
  id,
  name,
  canTest,
  canRemove,
}: {
  id: number;
  name: string;
  canTest: boolean;
  canRemove: boolean;
}) {
  const { pending, act } = useAct();
  return (
    <span className="inline-flex gap-1">
      {canTest && (
        <button
          type="button"
          className={buttonClass('secondary', 'sm')}
          disabled={pending}
          onClick={() => act(() => sendTest(id))}
          aria-label={`Send a test alert to ${name}`}
        >
          Send a test alert
        </button>
      )}
      {canRemove && (
        <button
          type="button"
          className={buttonClass('danger', 'sm')}
          disabled={pending}
          onClick={() => act(() => removeDestination(id))}
          aria-label={`Remove ${name}`}
        >
          Remove
        </button>
      )}
    </span>
  );
}

/** Adds a destination (admins). A webhook's generated signing secret is shown here once. */
export function NewDestinationForm() {
  const { pending, act } = useAct();
  const [kind, setKind] = useState<'slack' | 'webhook' | 'email'>('slack');
  const [secret, setSecret] = useState<string | null>(null);
  return (
    <form
      aria-label="New destination"
      className="grid gap-3 sm:grid-cols-[8rem_12rem_1fr_auto] sm:items-end"
      onSubmit={(e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        const name = String(f.get('name') ?? '');
        const target = String(f.get('target') ?? '').trim();
        const body =
          kind === 'email'
            ? { kind, name, emails: target.split(/[\s,;]+/).filter(Boolean) }
            : { kind, name, url: target };
        act(
          () => addDestination(body),
          (r) => setSecret(r.ok && r.secret ? r.secret : null),
        );
      }}
    >
      <label className="block">
        <span className="mb-1 block font-medium">Kind</span>
        <select
          name="kind"
          className={inputClass}
          value={kind}
          onChange={(e) => setKind(e.target.value as typeof kind)}
        >
          <option value="slack">Slack</option>
          <option value="webhook">Webhook (signed)</option>
          <option value="email">Email</option>
        </select>
      </label>
      <label className="block">
        <span className="mb-1 block font-medium">Name</span>
        <input name="name" className={inputClass} required maxLength={100} />
      </label>
      <label className="block">
        <span className="mb-1 block font-medium">
          {kind === 'email' ? 'Addresses (comma-separated)' : 'URL'}
        </span>
        <input name="target" className={inputClass} required />
      </label>
      <button type="submit" className={buttonClass('primary')} disabled={pending}>
        Add destination
      </button>
      {secret && (
        <p role="status" className="sm:col-span-4">
          Signing secret (shown once; receivers verify <code>webhook-signature</code> with it):{' '}
          <code className="break-all font-mono">{secret}</code>
        </p>
      )}
    </form>
  );
}
