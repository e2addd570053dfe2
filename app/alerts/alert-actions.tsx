'use client';

import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import { buttonClass, inputClass } from '../_components/ui/button';
import { ConfirmDialog } from '../_components/ui/dialog';
import { toast } from '../_components/ui/toast';
import { type AlertActionResult, acknowledge, silence } from './actions';

function report(r: AlertActionResult) {
  if (r.ok) toast.success(r.message);
  else toast.error(r.message);
}

/** Acknowledge (stops repeats) and silence (no messages for a while) one alert: operators only. */
export function AlertActions({
  id,
  firing,
  acknowledged,
  silenced,
}: {
  id: number;
  firing: boolean;
  acknowledged: boolean;
  silenced: boolean;
}) {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [pending, start] = useTransition();
  const act = (work: () => Promise<AlertActionResult>) =>
    start(async () => {
      report(await work());
      setOpen(false);
      router.refresh();
    });
  return (
    <span className="inline-flex gap-1">
      {firing && !acknowledged && (
        <button
          type="button"
          className={buttonClass('secondary', 'sm')}
          disabled={pending}
          onClick={() => act(() => acknowledge(id))}
          aria-label={`Acknowledge alert ${id}`}
        >
          Acknowledge
        </button>
      )}
      {silenced ? (
        <button
          type="button"
          className={buttonClass('secondary', 'sm')}
          disabled={pending}
          onClick={() => act(() => silence(id, 0, ''))}
          aria-label={`Unsilence alert ${id}`}
        >
          Unsilence
        </button>
      ) : (
        <button
          type="button"
          className={buttonClass('secondary', 'sm')}
          onClick={() => setOpen(true)}
          aria-label={`Silence alert ${id}`}
        >
          Silence
        </button>
      )}
      <ConfirmDialog open={open} title={`Silence alert ${id}`} onClose={() => setOpen(false)}>
        <form
          className="space-y-4"
          onSubmit={(e) => {
            e.preventDefault();
            const form = new FormData(e.currentTarget);
            act(() => silence(id, Number(form.get('minutes')), String(form.get('reason') ?? '')));
          }}
        >
          <p>No message about this alert, nor a new one of the same rule and subscription, until then.</p>
          <label className="block">
            <span className="mb-1 block font-medium">For</span>
            <select name="minutes" className={inputClass} defaultValue="60">
              <option value="30">30 minutes</option>
              <option value="60">1 hour</option>
              <option value="240">4 hours</option>
              <option value="1440">1 day</option>
              <option value="10080">7 days</option>
            </select>
          </label>
          <label className="block">
            <span className="mb-1 block font-medium">Reason (optional)</span>
            <input name="reason" className={inputClass} maxLength={1000} />
          </label>
          <div className="flex justify-end gap-2">
            <button type="button" className={buttonClass()} onClick={() => setOpen(false)}>
              Cancel
            </button>
            <button type="submit" className={buttonClass('primary')} disabled={pending}>
              Silence
            </button>
          </div>
        </form>
      </ConfirmDialog>
    </span>
  );
}
