'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { buttonClass } from '../timeline/confirm-dialog';
import type { FilterInput } from './actions';
import { BulkDialog, type BulkRequest } from './bulk-dialog';
import { LiveRefresh } from './live-refresh';
import { freeze, isWindow } from './window';

export interface DeadRowView {
  id: number;
  eventId: number;
  channel: string;
  eventKey: string | null;
  subscription: string;
  attempts: number;
  lastError: string | null;
  finishedAt: string;
}

/** The page's filter: a relative window stays relative until a bulk action is confirmed. */
export interface PageFilter {
  subscription?: string;
  channel?: string;
  errorContains?: string;
  window?: string;
  since?: string;
  until?: string;
}

/**
 * Frozen when the dialog opens: a relative window becomes absolute, and `until` is always now,
 * so deliveries that die (again) while the bulk runs are not in it — "all M matching" means
 * the M counted in the dialog.
 */
function frozen(f: PageFilter): FilterInput {
  const { window, ...rest } = f;
  if (isWindow(window)) return { ...rest, ...freeze(window) };
  // Nothing chosen stays empty, so the dialog (and the server) refuse it.
  if (!Object.values(rest).some(Boolean)) return {};
  return { ...rest, until: new Date().toISOString() };
}

export function DeadTable({
  rows,
  filter,
  canBulk,
}: {
  rows: DeadRowView[];
  filter: PageFilter;
  canBulk: boolean;
}) {
  const router = useRouter();
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [request, setRequest] = useState<BulkRequest | null>(null);
  const toggle = (id: number) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  const all = rows.length > 0 && rows.every((r) => selected.has(r.id));
  return (
    <>
      <div className="mb-3 flex flex-wrap items-center gap-2">
        {canBulk && (
          <>
            <button
              type="button"
              className={buttonClass}
              disabled={selected.size === 0}
              onClick={() =>
                setRequest({ kind: 'replay', scope: 'selected', filter: { ids: [...selected] } })
              }
            >
              Replay {selected.size} selected
            </button>
            <button
              type="button"
              className={buttonClass}
              disabled={selected.size === 0}
              onClick={() =>
                setRequest({ kind: 'discard', scope: 'selected', filter: { ids: [...selected] } })
              }
            >
              Discard {selected.size} selected
            </button>
            <button
              type="button"
              className={buttonClass}
              onClick={() => setRequest({ kind: 'replay', scope: 'matching', filter: frozen(filter) })}
            >
              Replay all matching
            </button>
            <button
              type="button"
              className={buttonClass}
              onClick={() => setRequest({ kind: 'discard', scope: 'matching', filter: frozen(filter) })}
            >
              Discard all matching
            </button>
          </>
        )}
        <span className="ml-auto">
          <LiveRefresh paused={selected.size > 0 || request !== null} />
        </span>
      </div>
      <table className="w-full text-left text-sm">
        <caption className="sr-only">Dead deliveries, newest first</caption>
        <thead>
          <tr>
            <th className="px-2 py-2">
              {canBulk && (
                <input
                  type="checkbox"
                  aria-label="Select all on this page"
                  checked={all}
                  onChange={() => setSelected(all ? new Set() : new Set(rows.map((r) => r.id)))}
                />
              )}
            </th>
            <th className="px-2 py-2 font-medium text-zinc-500">Delivery</th>
            <th className="px-2 py-2 font-medium text-zinc-500">Subscription</th>
            <th className="px-2 py-2 font-medium text-zinc-500">Event</th>
            <th className="px-2 py-2 font-medium text-zinc-500">Attempts</th>
            <th className="px-2 py-2 font-medium text-zinc-500">Last error</th>
            <th className="px-2 py-2 font-medium text-zinc-500">Died</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} className="border-t border-zinc-100 align-top dark:border-zinc-800">
              <td className="px-2 py-2">
                {canBulk && (
                  <input
                    type="checkbox"
                    aria-label={`Select delivery ${r.id}`}
                    checked={selected.has(r.id)}
                    onChange={() => toggle(r.id)}
                  />
                )}
              </td>
              <td className="px-2 py-2">
                <Link className="underline" href={`/deliveries/${r.id}`}>
                  {r.id}
                </Link>
              </td>
              <td className="px-2 py-2">{r.subscription}</td>
              <td className="px-2 py-2">
                <Link className="underline" href={`/events/${r.eventId}`}>
                  {r.channel}
                  {r.eventKey ? ` · ${r.eventKey}` : ''}
                </Link>
              </td>
              <td className="px-2 py-2">{r.attempts}</td>
              <td className="max-w-md px-2 py-2 text-red-700 dark:text-red-400">{r.lastError}</td>
              <td className="px-2 py-2 whitespace-nowrap">{r.finishedAt.replace('T', ' ').slice(0, 19)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <BulkDialog
        request={request}
        onClose={(changed) => {
          setRequest(null);
          if (changed) {
            setSelected(new Set());
            router.refresh();
          }
        }}
      />
    </>
  );
}
