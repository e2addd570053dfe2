'use client';

import Link from 'next/link';
import { useEffect, useRef, useState } from 'react';
import { plural } from '@/lib/lookup/format';
import { isEmptyFilter } from '@/lib/operations/dead-filter';
import { formatCount } from '../overview/format';
import { buttonClass, ConfirmDialog, inputClass, primaryClass } from '../timeline/confirm-dialog';
import { formatAbsolute } from '../ui/time-format';
import { toast } from '../ui/toast';
import { type BulkOutcome, bulkAction, countMatching, type FilterInput } from './actions';

export interface BulkRequest {
  kind: 'replay' | 'discard';
  /** "N selected" (ids) or "all matching" (the page's filter, window frozen at open). */
  scope: 'selected' | 'matching';
  filter: FilterInput;
}

function describeFilter(f: FilterInput): string[] {
  const out: string[] = [];
  if (f.ids) out.push(`${f.ids.length} selected deliveries`);
  if (f.subscription) out.push(`subscription ${f.subscription}`);
  if (f.channel) out.push(`channel ${f.channel}`);
  if (f.errorContains) out.push(`error contains “${f.errorContains}”`);
  if (f.since) out.push(`died from ${formatAbsolute(f.since)}`);
  if (f.until) out.push(`died before ${formatAbsolute(f.until)}`);
  return out;
}

/**
 * How many of the filter's deliveries are still dead, for the progress line while the bulk action
 * runs. Not through the countMatching server action: the client runs server actions one at a
 * time, so that poll would wait behind the bulk action it is meant to watch. The API's dry run
 * counts the same rows (same permission, same filter) in a request of its own.
 */
async function stillDead(filter: FilterInput): Promise<number | null> {
  try {
    const response = await fetch('/api/v1/deliveries/replay', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...filter, dryRun: true }),
    });
    if (!response.ok) return null;
    const body = (await response.json()) as { matched?: unknown };
    return typeof body.matched === 'number' ? body.matched : null;
  } catch {
    return null;
  }
}

/** The toast after a bulk action: "40 deliveries queued for replay — view". */
function announce(request: BulkRequest, outcome: BulkOutcome) {
  if (!outcome.ok) return void toast.error(outcome.message);
  const what = plural(outcome.done, 'delivery', 'deliveries');
  if (request.kind === 'discard') return void toast.success(`${what} discarded`);
  const q = new URLSearchParams({ state: 'pending' });
  if (request.filter.subscription) q.set('subscription', request.filter.subscription);
  // A real link (not a button that navigates): it can be opened in a new tab, and says where it goes.
  toast.success(
    <span>
      {what} queued for replay —{' '}
      <Link className="font-medium underline" href={`/events?${q}`}>
        view
      </Link>
    </span>,
  );
}

/**
 * The bulk confirmation: shows the filter and the count, refuses an empty filter, runs on the
 * server and shows progress (the matching count going down), then a summary.
 */
export function BulkDialog({
  request,
  onClose,
}: {
  request: BulkRequest | null;
  onClose: (changed: boolean) => void;
}) {
  const [count, setCount] = useState<number | null>(null);
  const [running, setRunning] = useState(false);
  const [progress, setProgress] = useState<number | null>(null);
  const [result, setResult] = useState<BulkOutcome | null>(null);
  const poll = useRef<ReturnType<typeof setInterval> | null>(null);
  const parts = request ? describeFilter(request.filter) : [];
  // The operation's own rule (`until` alone is everything); the server refuses the same filters.
  const empty = request === null || isEmptyFilter(request.filter);

  useEffect(() => {
    setCount(null);
    setResult(null);
    setProgress(null);
    if (request && !empty) void countMatching(request.filter).then(setCount);
  }, [request, empty]);

  // The toast comes when the dialog closes, not when the action ends: while the modal is open
  // everything outside it (the toasts too) is inert and hidden from screen readers, so its link
  // could not be followed.
  const close = () => {
    if (request && result) announce(request, result);
    onClose(result !== null);
  };

  const verb = request?.kind === 'discard' ? 'Discard' : 'Replay';
  const title = request
    ? `${verb} ${request.scope === 'selected' ? `${request.filter.ids?.length ?? 0} selected` : `all ${count ?? '…'} matching`}`
    : '';
  return (
    <ConfirmDialog open={request !== null} title={title} onClose={close}>
      {empty ? (
        <p role="alert">
          Refused: the filter is empty. Choose a subscription, a channel, an error, a time window with a start
          or rows first.
        </p>
      ) : (
        <form
          className="space-y-4"
          onSubmit={async (e) => {
            e.preventDefault();
            if (!request || running) return;
            const reason = String(new FormData(e.currentTarget).get('reason') ?? '');
            setRunning(true);
            const start = count ?? 0;
            let asking = false;
            poll.current = setInterval(async () => {
              // One count at a time: on a busy database a count may take longer than the interval.
              if (asking) return;
              asking = true;
              const left = await stillDead(request.filter);
              asking = false;
              if (left !== null) setProgress(Math.max(0, start - left));
            }, 700);
            try {
              const outcome = await bulkAction(request.kind, request.filter, reason);
              setResult(outcome);
            } finally {
              if (poll.current) clearInterval(poll.current);
              setRunning(false);
            }
          }}
        >
          <div>
            <p className="font-medium">Filter</p>
            <ul className="list-disc pl-5" aria-label="Filter">
              {parts.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          </div>
          <p>
            {count === null ? 'Counting…' : `${formatCount(count)} dead deliveries match now.`}{' '}
            {request?.kind === 'replay' ? 'Each is sent again; history is kept.' : 'They will never be sent.'}
          </p>
          {!result && (
            <label className="block">
              <span className="mb-1 block font-medium">Reason (optional)</span>
              <input name="reason" className={inputClass} maxLength={1000} />
            </label>
          )}
          {running && (
            <p role="status">
              Working…{' '}
              {progress !== null && count !== null ? `${formatCount(progress)} of ${formatCount(count)}` : ''}
            </p>
          )}
          {result && (
            <p role="status" aria-label="Summary">
              {result.ok
                ? `${formatCount(result.done)} ${request?.kind === 'discard' ? 'discarded' : 'replayed'}${result.skipped > 0 ? `, ${formatCount(result.skipped)} already handled by someone else` : ''}`
                : result.message}
            </p>
          )}
          <div className="flex justify-end gap-2">
            <button type="button" className={buttonClass} onClick={close}>
              {result ? 'Close' : 'Cancel'}
            </button>
            {!result && (
              <button
                type="submit"
                className={primaryClass}
                disabled={running || count === null || count === 0}
              >
                Confirm {verb.toLowerCase()}
              </button>
            )}
          </div>
        </form>
      )}
    </ConfirmDialog>
  );
}
