'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { StateBadge } from '../ui/badge';
import { buttonClass } from '../ui/button';
import { RowKeys } from '../ui/row-keys';
import { rowClass, Table, Td, Th } from '../ui/table';
import { Time } from '../ui/time';
import { toWire } from '../ui/time-format';
import { Truncated } from '../ui/tooltip';
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
  return { ...rest, until: toWire(new Date()) };
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
              className={buttonClass()}
              disabled={selected.size === 0}
              onClick={() =>
                setRequest({ kind: 'replay', scope: 'selected', filter: { ids: [...selected] } })
              }
            >
              Replay {selected.size} selected
            </button>
            <button
              type="button"
              className={buttonClass()}
              disabled={selected.size === 0}
              onClick={() =>
                setRequest({ kind: 'discard', scope: 'selected', filter: { ids: [...selected] } })
              }
            >
              Discard {selected.size} selected
            </button>
            <button
              type="button"
              className={buttonClass()}
              onClick={() => setRequest({ kind: 'replay', scope: 'matching', filter: frozen(filter) })}
            >
              Replay all matching
            </button>
            <button
              type="button"
              className={buttonClass()}
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
      <RowKeys>
        <Table caption="Dead deliveries, newest first" className="table-fixed">
          <thead>
            <tr>
              <Th className="w-9">
                {canBulk && (
                  <input
                    type="checkbox"
                    aria-label="Select all on this page"
                    checked={all}
                    onChange={() => setSelected(all ? new Set() : new Set(rows.map((r) => r.id)))}
                  />
                )}
              </Th>
              <Th className="w-24">Delivery</Th>
              <Th className="w-20">Status</Th>
              <Th className="w-48">Subscription</Th>
              <Th className="w-64">Channel · key</Th>
              <Th className="w-20" numeric>
                Attempts
              </Th>
              <Th>Last error</Th>
              <Th className="w-32">Died</Th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} data-href={`/deliveries/${r.id}`} className={rowClass}>
                <Td>
                  {canBulk && (
                    <input
                      type="checkbox"
                      aria-label={`Select delivery ${r.id}`}
                      checked={selected.has(r.id)}
                      onChange={() => toggle(r.id)}
                    />
                  )}
                </Td>
                <Td>
                  <Link className="underline-offset-2 hover:underline" href={`/deliveries/${r.id}`}>
                    {r.id}
                  </Link>
                </Td>
                <Td>
                  <StateBadge state="dead" />
                </Td>
                <Td className="font-mono">
                  <Truncated text={r.subscription} />
                </Td>
                <Td className="font-mono">
                  <Link
                    className="block truncate underline-offset-2 hover:underline"
                    href={`/events/${r.eventId}`}
                  >
                    {r.channel}
                    {r.eventKey ? ` · ${r.eventKey}` : ''}
                  </Link>
                </Td>
                <Td numeric>{r.attempts}</Td>
                <Td className="text-red-700 dark:text-red-400">
                  {r.lastError ? <Truncated text={r.lastError} /> : '—'}
                </Td>
                <Td className="text-zinc-600 dark:text-zinc-400">
                  <Time value={r.finishedAt} />
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      </RowKeys>
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
