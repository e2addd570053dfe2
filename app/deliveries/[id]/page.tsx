import { eq } from 'drizzle-orm';
import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { DeliveryBlock } from '@/app/_components/timeline/timeline-view';
import { guardPage } from '@/lib/auth/guard';
import { can } from '@/lib/auth/principal';
import { pageReadDb } from '@/lib/db/page-reads';
import { deliveries } from '@/lib/db/schema';
import { pageClock } from '@/lib/lookup/clock';
import { plural } from '@/lib/lookup/format';
import { reasonRequired } from '@/lib/operations/single-delivery';
import { getEvent } from '@/lib/queries/events';
import { loadTimelines } from '@/lib/queries/lookup';
import { ReplayForm } from './replay-form';

export const metadata: Metadata = { title: 'Delivery' };
export const dynamic = 'force-dynamic';

/**
 * One delivery: its event's payload (masked without `read:payloads`), state, attempts, and the
 * replay action for people allowed to act. Kept small: the full page comes with the dashboard.
 */
export default async function DeliveryPage({ params }: { params: Promise<{ id: string }> }) {
  const { id: raw } = await params;
  const me = await guardPage('/deliveries/[id]', `/deliveries/${encodeURIComponent(raw)}`);
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || id < 1) notFound();
  const db = await pageReadDb();
  const [row] = await db
    .select({ eventId: deliveries.eventId })
    .from(deliveries)
    .where(eq(deliveries.id, id));
  const event = row ? await getEvent(db, row.eventId, { mask: !can(me, 'read:payloads') }) : null;
  const delivery = event?.deliveries.find((d) => d.id === id);
  if (!event || !delivery) notFound();
  return (
    <>
      <h1 className="mb-2 text-xl font-semibold tracking-tight">Delivery {delivery.id}</h1>
      <p className="mb-6 text-sm text-zinc-600 dark:text-zinc-400">
        {event.channel} → {delivery.subscription} · key {event.key ?? '—'} ·{' '}
        <span data-testid="delivery-state">{delivery.state}</span> after{' '}
        {plural(delivery.attempts, 'attempt')}
      </p>
      {delivery.lastError && (
        <p className="mb-6 text-sm text-red-600 dark:text-red-400">{delivery.lastError}</p>
      )}
      <h2 className="mb-2 text-sm font-semibold uppercase tracking-wide text-zinc-500">Payload</h2>
      <pre
        data-testid="payload"
        className="mb-8 overflow-x-auto rounded-lg bg-zinc-100 p-4 text-xs dark:bg-zinc-900"
      >
        {JSON.stringify(event.payload, null, 2)}
      </pre>
      {delivery.state === 'dead' && can(me, 'deliveries:act') && <ReplayForm id={delivery.id} />}
      <Timeline
        eventId={event.id}
        deliveryId={delivery.id}
        mask={!can(me, 'read:payloads')}
        canAct={can(me, 'deliveries:act')}
        canDiscard={can(me, 'deliveries:discard')}
        support={reasonRequired(me)}
      />
    </>
  );
}

/** The attempt list (newest first, stack collapsible) with retry now / discard behind confirmations. */
async function Timeline(p: {
  eventId: number;
  deliveryId: number;
  mask: boolean;
  canAct: boolean;
  canDiscard: boolean;
  support: boolean;
}) {
  const [event] = await loadTimelines(await pageReadDb(), [p.eventId], { mask: p.mask });
  const d = event?.deliveries.find((x) => x.id === p.deliveryId);
  if (!d) return null;
  return (
    <div className="mt-8">
      <DeliveryBlock
        d={d}
        clock={pageClock()}
        actor={{ canAct: p.canAct, canDiscard: p.canDiscard, reasonRequired: p.support }}
        omit={['replay']}
      />
    </div>
  );
}
