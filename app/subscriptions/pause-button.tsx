'use client';

import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import { buttonClass, inputClass } from '../_components/ui/button';
import { ConfirmDialog } from '../_components/ui/dialog';
import { toast } from '../_components/ui/toast';
import { setPaused } from './actions';

export function PauseButton({ name, paused }: { name: string; paused: boolean }) {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [pending, start] = useTransition();
  const verb = paused ? 'Resume' : 'Pause';
  return (
    <>
      <button
        type="button"
        className={buttonClass()}
        onClick={() => setOpen(true)}
        aria-label={`${verb} ${name}`}
      >
        {verb}
      </button>
      {message && (
        <span role="status" className="ml-2 text-xs">
          {message}
        </span>
      )}
      <ConfirmDialog open={open} title={`${verb} ${name}?`} onClose={() => setOpen(false)}>
        <form
          className="space-y-4"
          onSubmit={(e) => {
            e.preventDefault();
            const reason = String(new FormData(e.currentTarget).get('reason') ?? '');
            start(async () => {
              const r = await setPaused(name, !paused, reason);
              setMessage(r.message);
              if (r.ok) toast.success(r.message);
              else toast.error(r.message);
              setOpen(false);
              router.refresh();
            });
          }}
        >
          <p>
            {paused
              ? 'Workers start claiming its waiting deliveries again right away.'
              : 'Deliveries keep being created and wait; nothing is lost. Workers stop sending until it is resumed.'}
          </p>
          <label className="block">
            <span className="mb-1 block font-medium">Reason{paused ? ' (optional)' : ''}</span>
            <input name="reason" className={inputClass} required={!paused} maxLength={1000} />
          </label>
          <div className="flex justify-end gap-2">
            <button type="button" className={buttonClass()} onClick={() => setOpen(false)}>
              Cancel
            </button>
            <button type="submit" className={buttonClass('primary')} disabled={pending}>
              Confirm {verb.toLowerCase()}
            </button>
          </div>
        </form>
      </ConfirmDialog>
    </>
  );
}
