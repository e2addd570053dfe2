import type { Metadata } from 'next';
import Link from 'next/link';
import { buttonClass, inputClass } from '@/app/_components/ui/button';
import { EmptyState } from '@/app/_components/ui/empty-state';
import { Table, Td, Th } from '@/app/_components/ui/table';
import { Time } from '@/app/_components/ui/time';
import { Truncated } from '@/app/_components/ui/tooltip';
import { guardPage } from '@/lib/auth/guard';
import { auditActions, listAudit } from '@/lib/auth/read-audit';
import { pageReadDb } from '@/lib/db/page-reads';

export const metadata: Metadata = { title: 'Audit log' };
export const dynamic = 'force-dynamic';

const PAGE = 50;
const input = `${inputClass} w-44 py-1`;
const label = 'mb-0.5 block text-xs text-zinc-600 dark:text-zinc-400';

type Search = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
const date = (v: string | undefined) => {
  const d = v ? new Date(v) : undefined;
  return d && !Number.isNaN(d.getTime()) ? d : undefined;
};

/** Read-only: who did what, when, to what and why. Filters live in the URL. */
export default async function AuditPage({ searchParams }: { searchParams: Promise<Search> }) {
  // Entries come masked for who reads them (auditEntryFor in lib/auth/read-audit.ts).
  const me = await guardPage('/audit');
  const q = await searchParams;
  const filter = {
    actor: one(q.actor),
    action: one(q.action),
    since: date(one(q.since)),
    until: date(one(q.until)),
    before: Number(one(q.before)) || undefined,
  };
  const db = await pageReadDb();
  const [{ rows, next }, actions] = await Promise.all([
    listAudit(db, { ...filter, limit: PAGE }, me),
    auditActions(db),
  ]);
  const more = new URLSearchParams(
    Object.entries({ ...q, before: next ? String(next) : undefined }).filter(
      (e): e is [string, string] => typeof e[1] === 'string',
    ),
  );
  return (
    <>
      <h1 className="mb-3 text-xl font-semibold tracking-tight">Audit log</h1>
      <form className="mb-3 flex flex-wrap items-end gap-2 text-sm" method="get" aria-label="Filter">
        <label>
          <span className={label}>Actor</span>
          <input className={input} name="actor" defaultValue={filter.actor} placeholder="user:ada@" />
        </label>
        <label>
          <span className={label}>Action</span>
          <select className={input} name="action" defaultValue={filter.action ?? ''}>
            <option value="">any</option>
            {actions.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span className={label}>From (UTC)</span>
          <input className={input} type="datetime-local" name="since" defaultValue={one(q.since)} />
        </label>
        <label>
          <span className={label}>Until (UTC)</span>
          <input className={input} type="datetime-local" name="until" defaultValue={one(q.until)} />
        </label>
        <button className={buttonClass('primary')} type="submit">
          Filter
        </button>
      </form>
      {rows.length === 0 ? (
        <EmptyState title="Nothing recorded matches.">
          Every sign-in, replay, discard, pause and change of users or keys is written here.
        </EmptyState>
      ) : (
        <Table label="Audit log" className="table-fixed">
          <thead>
            <tr>
              <Th className="w-32">When</Th>
              <Th className="w-56">Who</Th>
              <Th className="w-48">Action</Th>
              <Th className="w-44">Target</Th>
              <Th className="w-48">Reason</Th>
              <Th>Details</Th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id}>
                <Td className="text-zinc-600 dark:text-zinc-400">
                  <Time value={r.at} />
                </Td>
                <Td className="font-mono">
                  <Truncated text={r.actor} />
                </Td>
                <Td className="font-mono">
                  <Truncated text={r.action} />
                </Td>
                <Td className="font-mono">
                  <Truncated text={r.target ?? '—'} />
                </Td>
                <Td>
                  <Truncated text={r.reason ?? '—'} />
                </Td>
                <Td className="font-mono text-xs">
                  {r.details ? <Truncated text={JSON.stringify(r.details)} /> : ''}
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      {next && (
        <Link className="mt-4 inline-block text-sm underline" href={`/audit?${more}`}>
          Older entries
        </Link>
      )}
    </>
  );
}
