'use client';

import Link from 'next/link';
import { Dialog as D } from 'radix-ui';
import { useState } from 'react';
import { buttonClass } from '../ui/button';
import { JsonTree } from './json-tree';

/**
 * An event's payload in a side panel (Radix dialog: focus trapped, Escape closes, focus goes
 * back to the row's button), with the JSON folded by level and a copy of it, exactly as
 * stored, for a ticket or a replay script. Opened from a list, so the list stays where it was.
 */
export function PayloadPanel({
  eventId,
  channel,
  payload,
  preview,
}: {
  eventId: number;
  channel: string;
  payload: unknown;
  /** The one-line text the list shows in the cell (cut with an ellipsis). */
  preview: string;
}) {
  const [copied, setCopied] = useState<string | null>(null);
  const json = JSON.stringify(payload, null, 2);
  return (
    <D.Root onOpenChange={() => setCopied(null)}>
      {/* Named by its text with a hidden prefix, not by aria-label: a label that leaves out the
          visible text fails WCAG 2.5.3 (axe: label-content-name-mismatch) for speech users. */}
      <D.Trigger className="block w-full truncate text-left hover:underline focus-visible:outline-2 focus-visible:outline-sky-600">
        <span className="sr-only">Payload of event {eventId}: </span>
        {preview}
      </D.Trigger>
      <D.Portal>
        <D.Overlay className="fixed inset-0 z-40 bg-black/30" />
        <D.Content
          aria-describedby={undefined}
          className="fixed inset-y-0 right-0 z-50 flex w-full max-w-xl flex-col border-l border-zinc-200 bg-white text-sm text-zinc-900 shadow-xl focus:outline-none dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100"
        >
          <div className="flex items-center gap-2 border-b border-zinc-200 px-4 py-3 dark:border-zinc-800">
            <D.Title className="mr-auto font-semibold">
              Payload of event {eventId}{' '}
              <span className="font-mono font-normal text-zinc-500">{channel}</span>
            </D.Title>
            <button
              type="button"
              className={buttonClass()}
              onClick={async () => {
                try {
                  await navigator.clipboard.writeText(json);
                  setCopied('Copied');
                } catch {
                  setCopied('Copy failed: select the JSON instead');
                }
              }}
            >
              Copy JSON
            </button>
            <D.Close className={buttonClass('ghost')}>Close</D.Close>
          </div>
          <span role="status" className="px-4 pt-1 text-xs text-zinc-500">
            {copied}
          </span>
          <div className="flex-1 overflow-auto px-4 py-2">
            <JsonTree value={payload} />
          </div>
          <div className="border-t border-zinc-200 px-4 py-3 dark:border-zinc-800">
            <Link className="underline" href={`/events/${eventId}`}>
              Open event {eventId}: deliveries and attempts
            </Link>
          </div>
        </D.Content>
      </D.Portal>
    </D.Root>
  );
}
