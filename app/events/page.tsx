import type { Metadata } from 'next';
import Link from 'next/link';
import { Empty } from '@/app/_components/section';
import { guardPage } from '@/lib/auth/guard';
import { mayFilterOnPayloads } from '@/lib/auth/masked-filters';
import { can } from '@/lib/auth/principal';
import { sharedReadDb } from '@/lib/db/client';
import { expensiveRead, read } from '@/lib/db/reads';
import { deliveryStates } from '@/lib/db/schema';
import { HeraldError } from '@/lib/errors';
import { exploreEvents, parseState } from '@/lib/lookup/explore';
import { deadFacets } from '@/lib/queries/dead-letters';

export const metadata: Metadata = { title: 'Events' };
export const dynamic = 'force-dynamic';

type Search = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
const date = (v: string | undefined) => {
  const d = v ? new Date(v) : undefined;
  return d && !Number.isNaN(d.getTime()) ? d : undefined;
};
const input =
  'rounded-md border border-zinc-300 bg-white px-2 py-1 text-sm dark:border-zinc-700 dark:bg-zinc-900';
const PAGE = 25;

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
  const db = sharedReadDb();
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
      <h1 className="mb-6 text-2xl font-semibold tracking-tight">Events</h1>
      <form method="get" aria-label="Filter events" className="mb-6 flex flex-wrap items-end gap-3 text-sm">
        <label>
          <span className="mb-1 block">Channel</span>
          <input className={input} name="channel" defaultValue={filter.channel} list="channels" />
          <datalist id="channels">
            {facets.channels.map((c) => (
              <option key={c} value={c} />
            ))}
          </datalist>
        </label>
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
          <span className="mb-1 block">State</span>
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
          <span className="mb-1 block">Key</span>
          <input className={input} name="key" defaultValue={filter.key} placeholder="order:1042" />
        </label>
        <label>
          <span className="mb-1 block">Payload field</span>
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
          <span className="mb-1 block">Error text</span>
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
          <span className="mb-1 block">From</span>
          <input className={input} type="datetime-local" name="since" defaultValue={one(q.since)} />
        </label>
        <label>
          <span className="mb-1 block">Until</span>
          <input className={input} type="datetime-local" name="until" defaultValue={one(q.until)} />
        </label>
        <button
          type="submit"
          className="rounded-md bg-zinc-900 px-3 py-1.5 text-white dark:bg-zinc-100 dark:text-zinc-900"
        >
          Filter
        </button>
        <Link href="/events" className="px-2 py-1.5 underline">
          Clear
        </Link>
      </form>
      {problem && (
        <p role="alert" className="mb-4 text-red-600">
          {problem}
        </p>
      )}
      {page && page.items.length === 0 && <Empty>No event matches these filters.</Empty>}
      {page && page.items.length > 0 && (
        <ul aria-label="Events" className="space-y-3">
          {page.items.map((e) => (
            <li key={e.id} className="rounded-lg border border-zinc-200 p-3 text-sm dark:border-zinc-800">
              <div className="flex flex-wrap gap-x-4">
                <Link className="font-medium underline" href={`/events/${e.id}`}>
                  Event {e.id}
                </Link>
                <span>{e.channel}</span>
                {e.key && <span>{e.key}</span>}
                <span className="text-zinc-500">{new Date(e.createdAt).toISOString()}</span>
                {e.deliveries.map((d) => (
                  <Link key={d.id} href={`/deliveries/${d.id}`} className="underline">
                    {d.subscription}: {d.state}
                  </Link>
                ))}
              </div>
              <details className="mt-1">
                <summary className="cursor-pointer text-zinc-500">Payload</summary>
                <pre className="mt-1 overflow-x-auto rounded bg-zinc-100 p-2 text-xs dark:bg-zinc-900">
                  {JSON.stringify(e.payload, null, 2)}
                </pre>
              </details>
            </li>
          ))}
        </ul>
      )}
      {page?.nextCursor && (
        <Link className="mt-4 inline-block underline" href={`/events?${next}`}>
          Older events
        </Link>
      )}
    </>
  );
}
