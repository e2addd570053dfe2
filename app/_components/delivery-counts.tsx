import type { DeliveryState } from '@/lib/db/schema';

const LABELS: Record<DeliveryState, { label: string; tone: string }> = {
  pending: { label: 'Pending', tone: 'text-amber-600 dark:text-amber-400' },
  running: { label: 'Running', tone: 'text-sky-600 dark:text-sky-400' },
  succeeded: { label: 'Succeeded', tone: 'text-emerald-600 dark:text-emerald-400' },
  dead: { label: 'Dead', tone: 'text-red-600 dark:text-red-400' },
  discarded: { label: 'Discarded', tone: 'text-zinc-500' },
};

const number = new Intl.NumberFormat('en');

export function DeliveryCounts({ counts }: { counts: Record<DeliveryState, number> }) {
  return (
    <dl className="grid grid-cols-2 gap-3 sm:grid-cols-5">
      {(Object.keys(LABELS) as DeliveryState[]).map((state) => (
        <div
          key={state}
          className="rounded-lg border border-zinc-200 bg-white px-4 py-3 dark:border-zinc-800 dark:bg-zinc-900"
        >
          <dt className="text-xs text-zinc-500">{LABELS[state].label}</dt>
          <dd className={`mt-1 text-2xl font-semibold tabular-nums ${LABELS[state].tone}`}>
            {number.format(counts[state])}
          </dd>
        </div>
      ))}
    </dl>
  );
}
