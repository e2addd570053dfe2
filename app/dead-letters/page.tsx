import type { Metadata } from 'next';
import Link from 'next/link';
import { type DeadRowView, DeadTable, type PageFilter } from '@/app/_components/dlq/dead-table';
import { freeze, isWindow, windows } from '@/app/_components/dlq/window';
import { formatCount } from '@/app/_components/overview/format';
import { Section } from '@/app/_components/section';
import { buttonClass, inputClass } from '@/app/_components/ui/button';
import { EmptyState } from '@/app/_components/ui/empty-state';
import { Table, Td, Th } from '@/app/_components/ui/table';
import { toWire } from '@/app/_components/ui/time-format';
import { Truncated } from '@/app/_components/ui/tooltip';
import { guardPage } from '@/lib/auth/guard';
import { maskedFilterMessage, maskedFiltersIn } from '@/lib/auth/masked-filters';
import { can } from '@/lib/auth/principal';
import { pageReadDb } from '@/lib/db/page-reads';
import { expensiveRead } from '@/lib/db/reads';
import { deadFacets, deadGroups, decodeDeadCursor, GROUP_SAMPLE, listDead } from '@/lib/queries/dead-letters';

export const metadata: Metadata = { title: 'Dead letters' };
export const dynamic = 'force-dynamic';

type Search = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
const input = `${inputClass} w-40 py-1`;
const label = 'mb-0.5 block text-xs text-zinc-600 dark:text-zinc-400';
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
  const db = await pageReadDb();
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
  const rows: DeadRowView[] = page.items.map((r) => ({ ...r, finishedAt: toWire(r.finishedAt) }));
  return (
    <>
      <h1 className="mb-3 text-xl font-semibold tracking-tight">Dead letters</h1>
      <form
        method="get"
        aria-label="Filter dead letters"
        className="mb-6 flex flex-wrap items-end gap-2 text-sm"
      >
        <label>
          <span className={label}>Subscription</span>
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
          <span className={label}>Channel</span>
          <input className={input} name="channel" defaultValue={filter.channel} />
        </label>
        <label>
          <span className={label}>Error contains</span>
          <input
            className={input}
            name="error"
            defaultValue={mask ? undefined : filter.errorContains}
            disabled={mask}
            title={mask ? 'Needs the permission to see payloads (read:payloads)' : undefined}
          />
        </label>
        <label>
          <span className={label}>Died within</span>
          <select className={input} name="window" defaultValue={filter.window ?? ''}>
            <option value="">any time</option>
            {Object.keys(windows).map((w) => (
              <option key={w} value={w}>
                last {w}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className={buttonClass('primary')}>
          Filter
        </button>
        <Link href="/dead-letters" className={buttonClass('ghost')}>
          Clear
        </Link>
      </form>
      <Section title="By subscription and error">
        {groups.groups.length === 0 ? (
          <EmptyState title="No dead deliveries.">
            Deliveries that run out of attempts, or that a provider refuses for good, wait here to be replayed
            or discarded.
          </EmptyState>
        ) : (
          <Table label="Dead deliveries by subscription and error" className="table-fixed">
            <thead>
              <tr>
                <Th className="w-56">Subscription</Th>
                <Th>Error</Th>
                <Th className="w-24" numeric>
                  Dead
                </Th>
                <Th className="w-20">
                  <span className="sr-only">Filter</span>
                </Th>
              </tr>
            </thead>
            <tbody>
              {groups.groups.map((g) => (
                <tr key={`${g.subscription}|${g.pattern}`}>
                  <Td className="font-mono">{g.subscription}</Td>
                  <Td>
                    <Truncated text={mask ? g.pattern.replace(/\S+@\S+/g, '…') : g.pattern} />
                  </Td>
                  <Td numeric>{formatCount(g.count)}</Td>
                  <Td>
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
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
        {groups.sampled && (
          <p className="mt-2 text-xs text-zinc-500">
            Counted over the newest {formatCount(GROUP_SAMPLE)} dead deliveries of each subscription.
          </p>
        )}
      </Section>
      <Section title="Dead deliveries">
        {refused.length > 0 ? (
          <p role="alert" className="text-red-600">
            {maskedFilterMessage(refused)}
          </p>
        ) : rows.length === 0 ? (
          <EmptyState title="No dead delivery matches these filters." />
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
