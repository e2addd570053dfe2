import type { Metadata } from 'next';
import Link from 'next/link';
import { type DeadRowView, DeadTable, type PageFilter } from '@/app/_components/dlq/dead-table';
import { freeze, isWindow, windows } from '@/app/_components/dlq/window';
import { Empty, Section } from '@/app/_components/section';
import { guardPage } from '@/lib/auth/guard';
import { maskedFilterMessage, maskedFiltersIn } from '@/lib/auth/masked-filters';
import { can } from '@/lib/auth/principal';
import { sharedReadDb } from '@/lib/db/client';
import { expensiveRead } from '@/lib/db/reads';
import { deadFacets, deadGroups, decodeDeadCursor, GROUP_SAMPLE, listDead } from '@/lib/queries/dead-letters';

export const metadata: Metadata = { title: 'Dead letters' };
export const dynamic = 'force-dynamic';

type Search = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
const input =
  'rounded-md border border-zinc-300 bg-white px-2 py-1 text-sm dark:border-zinc-700 dark:bg-zinc-900';
const PAGE = 50;

function url(q: Record<string, string | undefined>): string {
  const p = new URLSearchParams(
    Object.entries(q).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
  return `/dead-letters${p.size > 0 ? `?${p}` : ''}`;
}

/** Dead deliveries grouped by subscription and kind of error, filterable, replayable in bulk. */
export default async function DeadLettersPage({ searchParams }: { searchParams: Promise<Search> }) {
  const q = await searchParams;
  const filter: PageFilter = {
    subscription: one(q.subscription),
    channel: one(q.channel),
    errorContains: one(q.error),
    window: isWindow(one(q.window)) ? one(q.window) : undefined,
  };
  const me = await guardPage('/dead-letters', url({ ...filter, error: filter.errorContains }));
  const mask = !can(me, 'read:payloads');
  // Error texts are masked for viewers, so they cannot search them either (lib/auth/masked-filters.ts).
  const refused = maskedFiltersIn(!mask, { errorContains: filter.errorContains });
  const db = sharedReadDb();
  const relative = isWindow(filter.window) ? freeze(filter.window) : undefined;
  // One slot for the page's three reads: they run together and end together.
  const [groups, page, facets] = await expensiveRead(me, () =>
    Promise.all([
      deadGroups(db, { subscription: filter.subscription, channel: filter.channel }),
      refused.length > 0
        ? { items: [], next: null }
        : listDead(
            db,
            {
              subscription: filter.subscription,
              channel: filter.channel,
              errorContains: filter.errorContains,
              since: relative ? new Date(relative.since) : undefined,
            },
            { cursor: decodeDeadCursor(one(q.cursor)), limit: PAGE },
            { mask },
          ),
      deadFacets(db),
    ]),
  );
  const base = {
    subscription: filter.subscription,
    channel: filter.channel,
    error: filter.errorContains,
    window: filter.window,
  };
  const rows: DeadRowView[] = page.items.map((r) => ({ ...r, finishedAt: r.finishedAt.toISOString() }));
  return (
    <>
      <h1 className="mb-6 text-2xl font-semibold tracking-tight">Dead letters</h1>
      <form
        method="get"
        aria-label="Filter dead letters"
        className="mb-6 flex flex-wrap items-end gap-3 text-sm"
      >
        <label>
          <span className="mb-1 block">Subscription</span>
          <select className={input} name="subscription" defaultValue={filter.subscription ?? ''}>
            <option value="">any</option>
            {facets.subscriptions.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span className="mb-1 block">Channel</span>
          <input className={input} name="channel" defaultValue={filter.channel} />
        </label>
        <label>
          <span className="mb-1 block">Error contains</span>
          <input
            className={input}
            name="error"
            defaultValue={mask ? undefined : filter.errorContains}
            disabled={mask}
            title={mask ? 'Needs the permission to see payloads (read:payloads)' : undefined}
          />
        </label>
        <label>
          <span className="mb-1 block">Died within</span>
          <select className={input} name="window" defaultValue={filter.window ?? ''}>
            <option value="">any time</option>
            {Object.keys(windows).map((w) => (
              <option key={w} value={w}>
                last {w}
              </option>
            ))}
          </select>
        </label>
        <button
          type="submit"
          className="rounded-md bg-zinc-900 px-3 py-1.5 text-white dark:bg-zinc-100 dark:text-zinc-900"
        >
          Filter
        </button>
        <Link href="/dead-letters" className="px-2 py-1.5 underline">
          Clear
        </Link>
      </form>
      <Section title="By subscription and error">
        {groups.groups.length === 0 ? (
          <Empty>No dead deliveries.</Empty>
        ) : (
          <table className="w-full text-left text-sm">
            <thead>
              <tr>
                <th className="px-2 py-2 font-medium text-zinc-500">Subscription</th>
                <th className="px-2 py-2 font-medium text-zinc-500">Error</th>
                <th className="px-2 py-2 font-medium text-zinc-500">Dead</th>
                <th className="px-2 py-2 font-medium text-zinc-500">
                  <span className="sr-only">Filter</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {groups.groups.map((g) => (
                <tr
                  key={`${g.subscription}|${g.pattern}`}
                  className="border-t border-zinc-100 align-top dark:border-zinc-800"
                >
                  <td className="px-2 py-2">{g.subscription}</td>
                  <td className="max-w-xl px-2 py-2">
                    {mask ? g.pattern.replace(/\S+@\S+/g, '…') : g.pattern}
                  </td>
                  <td className="px-2 py-2">{g.count.toLocaleString('en')}</td>
                  <td className="px-2 py-2">
                    {/* The group's filter is error text: not for who sees errors masked. */}
                    {!mask && (
                      <Link
                        className="underline"
                        href={url({ ...base, subscription: g.subscription, error: g.errorContains })}
                        aria-label={`Show ${g.count} dead of ${g.subscription}: ${g.errorContains}`}
                      >
                        Show
                      </Link>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {groups.sampled && (
          <p className="mt-2 text-xs text-zinc-500">
            Counted over the newest {GROUP_SAMPLE.toLocaleString('en')} dead deliveries of each subscription.
          </p>
        )}
      </Section>
      <Section title="Dead deliveries">
        {refused.length > 0 ? (
          <p role="alert" className="text-red-600">
            {maskedFilterMessage(refused)}
          </p>
        ) : rows.length === 0 ? (
          <Empty>No dead delivery matches these filters.</Empty>
        ) : (
          <DeadTable rows={rows} filter={filter} canBulk={can(me, 'deliveries:bulk')} />
        )}
        {page.next && (
          <Link className="mt-4 inline-block underline" href={url({ ...base, cursor: page.next })}>
            Older dead deliveries
          </Link>
        )}
      </Section>
    </>
  );
}
