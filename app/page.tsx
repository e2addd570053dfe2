import { guardPage } from '@/lib/auth/guard';
import { sharedDb } from '@/lib/db/client';
import { deliveryCountsByState, listSubscriptions, listWorkers } from '@/lib/overview/queries';
import { DeliveryCounts } from './_components/delivery-counts';
import { Empty, Section } from './_components/section';
import { SubscriptionsTable, WorkersTable } from './_components/tables';

// Read at request time: the numbers change every second, and `next build` has no database.
export const dynamic = 'force-dynamic';

async function load() {
  try {
    const db = sharedDb();
    const [counts, subscriptions, workers] = await Promise.all([
      deliveryCountsByState(db),
      listSubscriptions(db),
      listWorkers(db),
    ]);
    return { ok: true as const, counts, subscriptions, workers };
  } catch (error) {
    // Say so on the page instead of a bare 500: this is the page people open when things break.
    return { ok: false as const, message: error instanceof Error ? error.message : String(error) };
  }
}

export default async function OverviewPage() {
  await guardPage('/');
  const data = await load();
  return (
    <>
      <h1 className="mb-8 text-2xl font-semibold tracking-tight">Overview</h1>
      {data.ok ? (
        <>
          <Section title="Deliveries">
            <DeliveryCounts counts={data.counts} />
          </Section>
          <Section title="Subscriptions">
            <SubscriptionsTable rows={data.subscriptions} />
          </Section>
          <Section title="Workers">
            <WorkersTable rows={data.workers} />
          </Section>
        </>
      ) : (
        <Empty>The database is not reachable right now ({data.message}).</Empty>
      )}
    </>
  );
}
