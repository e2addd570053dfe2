'use client';

import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import { toast } from '../ui/toast';
import { type DeliveryActionKind, deliveryAction } from './actions';
import { buttonClass, ConfirmDialog, inputClass, primaryClass } from './confirm-dialog';

const labels: Record<DeliveryActionKind, { button: string; title: string; explain: string }> = {
  replay: {
    button: 'Replay',
    title: 'Replay this delivery?',
    explain: 'It is sent again now with a fresh retry budget; its earlier attempts stay in the history.',
  },
  retry: {
    button: 'Retry now',
    title: 'Retry this delivery now?',
    explain: 'The next attempt runs now instead of at its scheduled time.',
  },
  discard: {
    button: 'Discard',
    title: 'Discard this delivery?',
    explain: 'It will never be sent. This cannot be undone.',
  },
};

/** The actions a delivery's state allows, each behind a confirmation with a reason. */
export function DeliveryActions({
  id,
  actions,
  reasonRequired,
}: {
  id: number;
  actions: DeliveryActionKind[];
  reasonRequired: boolean;
}) {
  const router = useRouter();
  const [open, setOpen] = useState<DeliveryActionKind | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [pending, start] = useTransition();
  if (actions.length === 0) return null;
  const current = open ? labels[open] : null;
  return (
    <div className="flex flex-wrap items-center gap-2">
      {actions.map((a) => (
        <button key={a} type="button" className={buttonClass} onClick={() => setOpen(a)}>
          {labels[a].button}
          <span className="sr-only"> delivery {id}</span>
        </button>
      ))}
      {message && (
        <p
          role="status"
          className={message.ok ? 'text-green-700 dark:text-green-400' : 'text-red-600 dark:text-red-400'}
        >
          {message.text}
        </p>
      )}
      <ConfirmDialog open={open !== null} title={current?.title ?? ''} onClose={() => setOpen(null)}>
        <form
          className="space-y-4"
          onSubmit={(e) => {
            e.preventDefault();
            const kind = open;
            if (!kind) return;
            const reason = String(new FormData(e.currentTarget).get('reason') ?? '');
            start(async () => {
              const result = await deliveryAction(kind, id, reason);
              setMessage({ ok: result.ok, text: result.message });
              if (result.ok) toast.success(`Delivery ${id}: ${result.message}`);
              else toast.error(result.message);
              setOpen(null);
              router.refresh();
            });
          }}
        >
          <p>{current?.explain}</p>
          <label className="block">
            <span className="mb-1 block font-medium">Reason{reasonRequired ? '' : ' (optional)'}</span>
            <input name="reason" className={inputClass} required={reasonRequired} maxLength={1000} />
          </label>
          <div className="flex justify-end gap-2">
            <button type="button" className={buttonClass} onClick={() => setOpen(null)}>
              Cancel
            </button>
            <button type="submit" className={primaryClass} disabled={pending}>
              Confirm {current?.button.toLowerCase()}
            </button>
          </div>
        </form>
      </ConfirmDialog>
    </div>
  );
}
