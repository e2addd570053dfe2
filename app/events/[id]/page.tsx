import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { EventTimeline } from '@/app/_components/timeline/timeline-view';
import { guardPage } from '@/lib/auth/guard';
import { can } from '@/lib/auth/principal';
import { pageReadDb } from '@/lib/db/page-reads';
import { pageClock } from '@/lib/lookup/clock';
import { actorView } from '@/lib/operations/single-delivery';
import { loadTimelines } from '@/lib/queries/lookup';

export const metadata: Metadata = { title: 'Event' };
export const dynamic = 'force-dynamic';

/** One event: verdict, payload (masked for viewers), every delivery and attempt, actions. */
export default async function EventPage({ params }: { params: Promise<{ id: string }> }) {
  const { id: raw } = await params;
  const me = await guardPage('/events/[id]', `/events/${encodeURIComponent(raw)}`);
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || id < 1) notFound();
  const [event] = await loadTimelines(await pageReadDb(), [id], { mask: !can(me, 'read:payloads') });
  if (!event) notFound();
  return (
    <>
      <h1 className="mb-4 text-xl font-semibold tracking-tight">Event {event.id}</h1>
      <EventTimeline e={event} clock={pageClock()} actor={actorView(me)} />
      <h2 className="mb-2 text-sm font-semibold uppercase tracking-wide text-zinc-500">Payload</h2>
      <pre
        data-testid="payload"
        className="overflow-x-auto rounded-lg bg-zinc-100 p-4 text-xs dark:bg-zinc-900"
      >
        {JSON.stringify(event.payload, null, 2)}
      </pre>
    </>
  );
}
