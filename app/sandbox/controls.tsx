'use client';

import { useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import { Button, inputClass, Problem, send } from '../account/_form';

interface Props {
  controls: { failureRate: number; latencyMs: number; retryAfterSeconds: number | null };
  inactive: { email: string; reason: string }[];
}

const small =
  'rounded-md border border-zinc-300 px-3 py-1.5 text-sm hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800';
const number = (form: FormData, name: string) => Number(String(form.get(name) ?? '').trim());

/**
 * The sandbox's controls for operators and admins. Each button sends one change to
 * PATCH /api/v1/sandbox, which checks the permission again and writes the audit log.
 */
export function SandboxControlsForm({ controls, inactive }: Props) {
  const router = useRouter();
  const [problem, setProblem] = useState('');
  const [busy, setBusy] = useState(false);

  async function change(body: Record<string, unknown>) {
    setBusy(true);
    const sent = await send('/api/v1/sandbox', 'PATCH', body);
    setBusy(false);
    setProblem(sent.ok ? '' : sent.message);
    if (sent.ok) router.refresh();
    return sent.ok;
  }
  const submit =
    (make: (form: FormData) => Record<string, unknown>) => async (e: FormEvent<HTMLFormElement>) => {
      e.preventDefault();
      const form = e.currentTarget;
      if ((await change(make(new FormData(form)))) && form.dataset.reset) form.reset();
    };

  return (
    <div className="grid gap-6 rounded-lg border border-zinc-200 bg-white p-4 text-sm md:grid-cols-3 dark:border-zinc-800 dark:bg-zinc-900">
      <form
        aria-label="Maintenance"
        className="space-y-2"
        onSubmit={submit((f) => ({
          maintenance: {
            action: 'start',
            startsInSeconds: number(f, 'startsIn'),
            durationSeconds: number(f, 'duration') || undefined,
          },
        }))}
      >
        <h3 className="font-medium">Maintenance (ErrorCode 100)</h3>
        <div className="flex gap-2">
          <button
            type="button"
            className={small}
            disabled={busy}
            onClick={() => change({ maintenance: { action: 'start' } })}
          >
            Start now
          </button>
          <button
            type="button"
            className={small}
            disabled={busy}
            onClick={() => change({ maintenance: { action: 'end' } })}
          >
            End now
          </button>
        </div>
        <div className="flex items-end gap-2">
          <label>
            <span className="mb-1 block">Starts in (s)</span>
            <input
              className={inputClass}
              name="startsIn"
              type="number"
              min={0}
              max={86400}
              defaultValue={20}
            />
          </label>
          <label>
            <span className="mb-1 block">Lasts (s)</span>
            <input
              className={inputClass}
              name="duration"
              type="number"
              min={1}
              max={604800}
              defaultValue={40}
            />
          </label>
        </div>
        <Button type="submit" disabled={busy}>
          Schedule window
        </Button>
      </form>

      <form
        aria-label="Failures and latency"
        className="space-y-2"
        onSubmit={submit((f) => {
          const retryAfter = String(f.get('retryAfter') ?? '').trim();
          return {
            failureRate: number(f, 'failurePercent') / 100,
            latencyMs: number(f, 'latencyMs'),
            retryAfterSeconds: retryAfter === '' ? null : Number(retryAfter),
          };
        })}
      >
        <h3 className="font-medium">Failures and latency</h3>
        <label className="block">
          <span className="mb-1 block">Failure rate (% answered HTTP 500)</span>
          <input
            className={inputClass}
            name="failurePercent"
            type="number"
            min={0}
            max={100}
            step="any"
            defaultValue={Math.round(controls.failureRate * 1000) / 10}
          />
        </label>
        <label className="block">
          <span className="mb-1 block">Extra latency (ms)</span>
          <input
            className={inputClass}
            name="latencyMs"
            type="number"
            min={0}
            max={120000}
            defaultValue={controls.latencyMs}
          />
        </label>
        <label className="block">
          <span className="mb-1 block">Retry-After on refusals (s, empty for none)</span>
          <input
            className={inputClass}
            name="retryAfter"
            type="number"
            min={0}
            max={86400}
            defaultValue={controls.retryAfterSeconds ?? ''}
          />
        </label>
        <Button type="submit" disabled={busy}>
          Save
        </Button>
      </form>

      <div className="space-y-2">
        <h3 className="font-medium">Inactive addresses (ErrorCode 406)</h3>
        <form
          aria-label="Mark an address inactive"
          data-reset="1"
          className="flex items-end gap-2"
          onSubmit={submit((f) => ({ markInactive: String(f.get('email') ?? '').trim() }))}
        >
          <label className="grow">
            <span className="mb-1 block">Email</span>
            <input
              className={inputClass}
              name="email"
              type="email"
              required
              placeholder="someone@example.com"
            />
          </label>
          <Button type="submit" disabled={busy}>
            Mark inactive
          </Button>
        </form>
        <ul className="divide-y divide-zinc-100 dark:divide-zinc-800">
          {inactive.length === 0 && <li className="py-1 text-zinc-500">None.</li>}
          {inactive.map((a) => (
            <li key={a.email} className="flex items-center gap-2 py-1">
              <span className="grow break-all">{a.email}</span>
              <span className="text-xs text-zinc-500">{a.reason}</span>
              <button
                type="button"
                className={small}
                disabled={busy}
                onClick={() => change({ reactivate: a.email })}
              >
                Reactivate
              </button>
            </li>
          ))}
        </ul>
      </div>
      <div className="md:col-span-3">
        <Problem>{problem}</Problem>
      </div>
    </div>
  );
}
