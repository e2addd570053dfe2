import type { Metadata } from 'next';
import Link from 'next/link';
import { PayloadPanel } from '@/app/_components/payload/payload-panel';
import { StateBadge } from '@/app/_components/ui/badge';
import { buttonClass, inputClass } from '@/app/_components/ui/button';
import { EmptyState } from '@/app/_components/ui/empty-state';
import { RowKeys } from '@/app/_components/ui/row-keys';
import { rowClass, Table, Td, Th } from '@/app/_components/ui/table';
import { Time } from '@/app/_components/ui/time';
import { Truncated } from '@/app/_components/ui/tooltip';
import { guardPage } from '@/lib/auth/guard';
import { mayFilterOnPayloads } from '@/lib/auth/masked-filters';
import { can } from '@/lib/auth/principal';
import { pageReadDb } from '@/lib/db/page-reads';
import { expensiveRead, read } from '@/lib/db/reads';
import { deliveryStates } from '@/lib/db/schema';
import { HeraldError } from '@/lib/errors';
import { deadFacets } from '@/lib/queries/dead-letters';
import { exploreEvents, parseState } from '@/lib/queries/explore';

export const metadata: Metadata = { title: 'Events' };
export const dynamic = 'force-dynamic';

type Search = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
const date = (v: string | undefined) => {
  const d = v ? new Date(v) : undefined;
  return d && !Number.isNaN(d.getTime()) ? d : undefined;
};
const input = `${inputClass} w-36 py-1`;
const label = 'mb-0.5 block text-xs text-zinc-600 dark:text-zinc-400';
/** Two screens of rows at 25 px each; keyset pages after that. */
const PAGE = 50;

/** Every filter lives in the URL, so a view can be shared; pages are keyset cursors. */
export default async function EventsPage({ searchParams }: { searchParams: Promise<Search> }) {
  const q = await searchParams;
  const here = `/events?${new URLSearchParams(Object.entries(q).filter((e): e is [string, string] => typeof e[1] === 'string'))}`;
  const me = await guardPage('/events', here);
  const field = one(q.field);
  const [path, ...rest] = field?.split('=') ?? [];
  const filter = {
    channel: one(q.channel),
    subscription: one(q.subscription),
    state: parseState(one(q.state)),
    key: one(q.key),
    since: date(one(q.since)),
    until: date(one(q.until)),
    path: path?.trim() || undefined,
    value: rest.length > 0 ? rest.join('=').trim() : undefined,
    errorContains: one(q.error),
    cursor: one(q.cursor),
    limit: PAGE,
  };
  const db = await pageReadDb();
  let page: Awaited<ReturnType<typeof exploreEvents>> | null = null;
  let problem: string | null = null;
  try {
    page = await expensiveRead(me, () => exploreEvents(db, filter, { mask: !can(me, 'read:payloads') }));
  } catch (error) {
    if (!(error instanceof HeraldError)) throw error;
    problem = error.message;
  }
  const facets = await read(() => deadFacets(db));
  // Viewers see payloads and error texts masked, so they cannot filter on them either.
  const payloadFilters = mayFilterOnPayloads(me);
  const masked = 'Needs the permission to see payloads (read:payloads)';
  const next = new URLSearchParams(
    Object.entries({ ...q, cursor: page?.nextCursor ?? undefined }).filter(
      (e): e is [string, string] => typeof e[1] === 'string',
    ),
  );
  return (
    <>
      <h1 className="mb-3 text-xl font-semibold tracking-tight">Events</h1>
      <form method="get" aria-label="Filter events" className="mb-3 flex flex-wrap items-end gap-2 text-sm">
        <label>
          <span className={label}>Channel</span>
          <input className={input} name="channel" defaultValue={filter.channel} list="channels" />
          <datalist id="channels">
            {facets.channels.map((c) => (
              <option key={c} value={c} />
            ))}
          </datalist>
        </label>
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
          <span className={label}>State</span>
          <select className={input} name="state" defaultValue={filter.state ?? ''}>
            <option value="">any</option>
            {deliveryStates.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span className={label}>Key</span>
          <input className={input} name="key" defaultValue={filter.key} placeholder="order:1042" />
        </label>
        <label>
          <span className={label}>Payload field</span>
          <input
            className={input}
            name="field"
            defaultValue={payloadFilters ? field : undefined}
            placeholder="customer.email=ann@example.com"
            disabled={!payloadFilters}
            title={payloadFilters ? undefined : masked}
          />
        </label>
        <label>
          <span className={label}>Error text</span>
          <input
            className={input}
            name="error"
            defaultValue={payloadFilters ? filter.errorContains : undefined}
            placeholder="ErrorCode 406"
            disabled={!payloadFilters}
            title={payloadFilters ? undefined : masked}
          />
        </label>
        <label>
          <span className={label}>From</span>
          <input className={input} type="datetime-local" name="since" defaultValue={one(q.since)} />
        </label>
        <label>
          <span className={label}>Until</span>
          <input className={input} type="datetime-local" name="until" defaultValue={one(q.until)} />
        </label>
        <button type="submit" className={buttonClass('primary')}>
          Filter
        </button>
        <Link href="/events" className={buttonClass('ghost')}>
          Clear
        </Link>
      </form>
      {problem && (
        <p role="alert" className="mb-4 text-red-600">
          {problem}
        </p>
      )}
      {page && page.items.length === 0 && (
        <EmptyState
          title={Object.values(q).some(Boolean) ? 'No event matches these filters.' : 'Nothing here yet.'}
        >
          {Object.values(q).some(Boolean) ? (
            <Link className="underline" href="/events">
              Clear the filters
            </Link>
          ) : (
            <>
              Publish your first event with <code className="font-mono">POST /api/v1/events</code> (an API key
              with the publish scope) or <code className="font-mono">publish()</code> inside your own
              transaction.
            </>
          )}
        </EmptyState>
      )}
      {page && page.items.length > 0 && (
        <RowKeys>
          <Table label="Events" className="table-fixed">
            <thead>
              <tr>
                <Th className="w-24">Event</Th>
                <Th className="w-32">Published</Th>
                <Th className="w-44">Channel</Th>
                <Th className="w-48">Key</Th>
                <Th className="w-[30%]">Deliveries</Th>
                <Th>Payload</Th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((e) => (
                <tr key={e.id} data-href={`/events/${e.id}`} className={rowClass}>
                  <Td>
                    <Link className="font-medium underline-offset-2 hover:underline" href={`/events/${e.id}`}>
                      Event {e.id}
                    </Link>
                  </Td>
                  <Td className="text-zinc-600 dark:text-zinc-400">
                    <Time value={e.createdAt} />
                  </Td>
                  <Td className="font-mono">
                    <Truncated text={e.channel} />
                  </Td>
                  <Td className="font-mono">
                    {e.key ? <Truncated text={e.key} /> : <span className="text-zinc-500">—</span>}
                  </Td>
                  <Td>
                    <span className="flex gap-1 overflow-hidden">
                      {e.deliveries.map((d) => (
                        <Link
                          key={d.id}
                          href={`/deliveries/${d.id}`}
                          aria-label={`${d.subscription}: ${d.state}`}
                          className="rounded-full focus-visible:outline-2 focus-visible:outline-sky-600"
                        >
                          <StateBadge state={d.state}>
                            {d.subscription} · {d.state}
                          </StateBadge>
                        </Link>
                      ))}
                    </span>
                  </Td>
                  <Td className="font-mono text-xs text-zinc-600 dark:text-zinc-400">
                    <PayloadPanel
                      eventId={e.id}
                      channel={e.channel}
                      payload={e.payload}
                      preview={JSON.stringify(e.payload)}
                    />
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        </RowKeys>
      )}
      {page?.nextCursor && (
        <Link className="mt-3 inline-block text-sm underline" href={`/events?${next}`}>
          Older events
        </Link>
      )}
    </>
  );
}
