import type { Metadata } from 'next';
import Link from 'next/link';
import { Empty } from '@/app/_components/section';
import { CopySummary } from '@/app/_components/timeline/copy-summary';
import { EventTimeline, VerdictBox } from '@/app/_components/timeline/timeline-view';
import { guardPage } from '@/lib/auth/guard';
import { can } from '@/lib/auth/principal';
import { pageReadDb } from '@/lib/db/page-reads';
import { expensiveRead } from '@/lib/db/reads';
import { HeraldError } from '@/lib/errors';
import { pageClock } from '@/lib/lookup/clock';
import { plural } from '@/lib/lookup/format';
import { parseLookup } from '@/lib/lookup/parse';
import { lookupSummary } from '@/lib/lookup/summary';
import { notFoundVerdict } from '@/lib/lookup/verdict';
import { actorView } from '@/lib/operations/single-delivery';
import { lookup } from '@/lib/queries/lookup';

export const metadata: Metadata = { title: 'Lookup' };
export const dynamic = 'force-dynamic';

/** "Did this customer's order email go out?" — every matching event with its verdict and evidence. */
export default async function LookupPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  const raw = typeof params.q === 'string' ? params.q : '';
  const me = await guardPage('/lookup', `/lookup?q=${encodeURIComponent(raw)}`);
  const query = parseLookup(raw);
  const clock = pageClock();
  const before =
    typeof params.before === 'string' && /^\d{1,15}$/.test(params.before) ? Number(params.before) : null;
  const mask = !can(me, 'read:payloads');
  let refused: string | null = null;
  const result = query
    ? await expensiveRead(me, async () => lookup(await pageReadDb(), query, { mask }, before)).catch(
        (error) => {
          // Masked data is not searchable by who sees it masked (lib/auth/masked-filters.ts).
          if (!(error instanceof HeraldError) || error.code !== 'forbidden') throw error;
          refused = error.message;
          return null;
        },
      )
    : null;
  const pageLink = (b: number | null) =>
    `/lookup?${new URLSearchParams({ q: raw, ...(b ? { before: String(b) } : {}) })}`;
  const actor = actorView(me);
  return (
    <>
      <h1 className="mb-4 text-xl font-semibold tracking-tight">Lookup</h1>
      <form method="get" action="/lookup" className="mb-6 flex gap-2" aria-label="Lookup">
        <input
          type="search"
          name="q"
          defaultValue={raw}
          aria-label="Order id, email address, event id or key"
          placeholder="order:1042, ann@example.com, 981233…"
          className="w-full max-w-md rounded-md border border-zinc-300 bg-white px-3 py-2 text-sm dark:border-zinc-700 dark:bg-zinc-900"
        />
        <button
          type="submit"
          className="rounded-md bg-zinc-900 px-4 py-2 text-sm font-medium text-white dark:bg-zinc-100 dark:text-zinc-900"
        >
          Look up
        </button>
      </form>
      {mask && (
        <p className="mb-4 text-sm text-zinc-600 dark:text-zinc-400">
          Your role looks up by event id and business key (such as order:1042). Email addresses, order ids
          inside payloads and idempotency keys need the permission to see payloads.
        </p>
      )}
      {refused && (
        <p role="alert" className="mb-4 text-red-600">
          {refused}
        </p>
      )}
      {!result && !refused && (
        <Empty>Type an order id, a customer's email address, an event id or a business key.</Empty>
      )}
      {result && result.events.length === 0 && result.before === null && (
        <VerdictBox verdict={notFoundVerdict(result, clock)} label="Lookup verdict" />
      )}
      {result && result.events.length === 0 && result.before !== null && (
        <Empty>
          No older events for “{result.query}”. <Link href={pageLink(null)}>Back to the most recent</Link>
        </Empty>
      )}
      {result && result.events.length > 0 && (
        <>
          <div className="mb-6 flex flex-wrap items-center justify-between gap-2 text-sm text-zinc-600 dark:text-zinc-400">
            <p>
              {result.before === null && result.more
                ? `The ${result.events.length} most recent ${result.events.length === 1 ? 'event' : 'events'}`
                : plural(result.events.length, result.before === null ? 'event' : 'older event')}{' '}
              for “{result.query}”, newest first · verdict times in {clock.timeZone}
            </p>
            <CopySummary text={lookupSummary(result, clock)} label="Copy summary of all" />
          </div>
          {result.events.map((e) => (
            <EventTimeline key={e.id} e={e} clock={clock} actor={actor} />
          ))}
          <nav aria-label="More events" className="mt-6 flex gap-4 text-sm">
            {result.before !== null && (
              <Link className="underline" href={pageLink(null)}>
                Most recent events
              </Link>
            )}
            {result.olderThan !== null && (
              <Link className="underline" href={pageLink(result.olderThan)}>
                Older events
              </Link>
            )}
          </nav>
        </>
      )}
    </>
  );
}
