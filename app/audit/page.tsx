import type { Metadata } from 'next';
import Link from 'next/link';
import { auditActions, listAudit } from '@/lib/auth/audit-log';
import { guardPage } from '@/lib/auth/guard';
import { sharedReadDb } from '@/lib/db/client';

export const metadata: Metadata = { title: 'Audit log' };
export const dynamic = 'force-dynamic';

const PAGE = 50;
const th = 'px-4 py-2 font-medium text-zinc-500';
const td = 'border-t border-zinc-100 px-4 py-2 align-top dark:border-zinc-800';
const input =
  'rounded-md border border-zinc-300 bg-white px-2 py-1 text-sm dark:border-zinc-700 dark:bg-zinc-900';

type Search = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
const date = (v: string | undefined) => {
  const d = v ? new Date(v) : undefined;
  return d && !Number.isNaN(d.getTime()) ? d : undefined;
};

/** Read-only: who did what, when, to what and why. Filters live in the URL. */
export default async function AuditPage({ searchParams }: { searchParams: Promise<Search> }) {
  // Entries come masked for who reads them (auditEntryFor in lib/auth/audit-log.ts).
  const me = await guardPage('/audit');
  const q = await searchParams;
  const filter = {
    actor: one(q.actor),
    action: one(q.action),
    since: date(one(q.since)),
    until: date(one(q.until)),
    before: Number(one(q.before)) || undefined,
  };
  const db = sharedReadDb();
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
      <h1 className="mb-6 text-2xl font-semibold tracking-tight">Audit log</h1>
      <form className="mb-6 flex flex-wrap items-end gap-3 text-sm" method="get" aria-label="Filter">
        <label>
          <span className="mb-1 block">Actor</span>
          <input className={input} name="actor" defaultValue={filter.actor} placeholder="user:ada@" />
        </label>
        <label>
          <span className="mb-1 block">Action</span>
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
          <span className="mb-1 block">From (UTC)</span>
          <input className={input} type="datetime-local" name="since" defaultValue={one(q.since)} />
        </label>
        <label>
          <span className="mb-1 block">Until (UTC)</span>
          <input className={input} type="datetime-local" name="until" defaultValue={one(q.until)} />
        </label>
        <button className="rounded-md border border-zinc-300 px-3 py-1 dark:border-zinc-700" type="submit">
          Filter
        </button>
      </form>
      <div className="overflow-hidden rounded-lg border border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900">
        <table className="w-full text-left text-sm">
          <thead>
            <tr>
              <th className={th}>When (UTC)</th>
              <th className={th}>Who</th>
              <th className={th}>Action</th>
              <th className={th}>Target</th>
              <th className={th}>Reason</th>
              <th className={th}>Details</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id}>
                <td className={`${td} whitespace-nowrap`}>
                  {r.at.toISOString().replace('T', ' ').slice(0, 19)}
                </td>
                <td className={`${td} font-mono`}>{r.actor}</td>
                <td className={`${td} font-mono`}>{r.action}</td>
                <td className={`${td} font-mono`}>{r.target ?? '—'}</td>
                <td className={td}>{r.reason ?? '—'}</td>
                <td className={`${td} font-mono text-xs`}>{r.details ? JSON.stringify(r.details) : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rows.length === 0 && <p className="mt-4 text-sm text-zinc-500">Nothing recorded matches.</p>}
      {next && (
        <Link className="mt-4 inline-block text-sm underline" href={`/audit?${more}`}>
          Older entries
        </Link>
      )}
    </>
  );
}
