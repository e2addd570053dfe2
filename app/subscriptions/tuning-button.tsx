'use client';

import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import { CONCURRENCY_MAX } from '@/lib/subscriptions/limits';
import { buttonClass, inputClass } from '../_components/ui/button';
import { ConfirmDialog } from '../_components/ui/dialog';
import { toast } from '../_components/ui/toast';
import { setTuning } from './tuning-actions';

export interface TuningValues {
  concurrencyOverride: number | null;
  rateOverride: number | null;
  declaredConcurrency: number;
  declaredRate: number | null;
}

/** Operators change a subscription's concurrency and send rate; workers apply it within seconds. */
export function TuningButton({ name, values }: { name: string; values: TuningValues }) {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [pending, start] = useTransition();
  return (
    <>
      <button
        type="button"
        className={buttonClass()}
        onClick={() => setOpen(true)}
        aria-label={`Tune ${name}`}
      >
        Tune
      </button>
      <ConfirmDialog open={open} title={`Tune ${name}`} onClose={() => setOpen(false)}>
        <form
          className="space-y-4"
          onSubmit={(e) => {
            e.preventDefault();
            const form = new FormData(e.currentTarget);
            const field = (k: string) => String(form.get(k) ?? '');
            start(async () => {
              const r = await setTuning(name, field('concurrency'), field('rate'), field('reason'));
              if (!r.ok) {
                setError(r.message);
                return;
              }
              setError(null);
              toast.success(r.message);
              setOpen(false);
              router.refresh();
            });
          }}
        >
          <p>Running workers apply the change within seconds; no deploy, no restart.</p>
          <label className="block">
            <span className="mb-1 block font-medium">Concurrency per worker process</span>
            <input
              name="concurrency"
              type="number"
              min={1}
              max={CONCURRENCY_MAX}
              step={1}
              defaultValue={values.concurrencyOverride ?? ''}
              placeholder={`as declared: ${values.declaredConcurrency}`}
              className={inputClass}
            />
          </label>
          <label className="block">
            <span className="mb-1 block font-medium">Sends per second, all workers together</span>
            <input
              name="rate"
              type="number"
              min={0}
              step="any"
              defaultValue={values.rateOverride ?? ''}
              placeholder={`as declared: ${values.declaredRate ?? 'no limit'}`}
              className={inputClass}
            />
            <span className="mt-1 block text-xs text-zinc-500">Blank: as declared in code. 0: no limit.</span>
          </label>
          <label className="block">
            <span className="mb-1 block font-medium">Reason (optional, for the audit log)</span>
            <input name="reason" className={inputClass} maxLength={1000} />
          </label>
          {error && (
            <p role="alert" className="text-red-700 dark:text-red-400">
              {error}
            </p>
          )}
          <div className="flex justify-end gap-2">
            <button type="button" className={buttonClass()} onClick={() => setOpen(false)}>
              Cancel
            </button>
            <button type="submit" className={buttonClass('primary')} disabled={pending}>
              Apply
            </button>
          </div>
        </form>
      </ConfirmDialog>
    </>
  );
}
