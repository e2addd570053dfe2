import Link from 'next/link';
import type { FeedEvent, FeedOutcome } from '@/lib/queries/feed';
import { listHref } from '../overview/format';
import { Badge, type Tone, table, td, th } from '../overview/ui';
import { Time } from '../ui/time';

export type FeedRow = FeedEvent | FeedOutcome;

const OUTCOME: Record<FeedOutcome['outcome'], { label: string; tone: Tone }> = {
  succeeded: { label: 'Delivered', tone: 'good' },
  failed: { label: 'Failed', tone: 'bad' },
  dead: { label: 'Dead', tone: 'bad' },
  lost: { label: 'Lost (worker gone)', tone: 'warn' },
};

export function FeedTable({ rows }: { rows: FeedRow[] }) {
  return (
    <div className="overflow-x-auto">
      <table className={table}>
        <thead>
          <tr>
            <th className={th}>Time</th>
            <th className={th}>What</th>
            <th className={th}>Channel</th>
            <th className={th}>Subscription</th>
            <th className={th}>Detail</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={`${r.kind}-${r.id}`} data-kind={r.kind}>
              <td className={`${td} whitespace-nowrap tabular-nums text-zinc-500`}>
                <Time value={r.at} />
              </td>
              {r.kind === 'event' ? (
                <>
                  <td className={td}>
                    <Badge tone="info">Published</Badge>
                  </td>
                  <td className={`${td} font-mono`}>{r.channel}</td>
                  <td className={td} />
                  <td className={`${td} max-w-xs truncate`}>
                    {r.key ? (
                      <Link className="font-mono hover:underline" href={listHref('/events', { key: r.key })}>
                        {r.key}
                      </Link>
                    ) : (
                      <span className="text-zinc-500">event #{r.id}</span>
                    )}
                  </td>
                </>
              ) : (
                <>
                  <td className={td}>
                    <Badge tone={OUTCOME[r.outcome].tone}>{OUTCOME[r.outcome].label}</Badge>
                  </td>
                  <td className={`${td} font-mono`}>{r.channel}</td>
                  <td className={`${td} font-mono`}>{r.subscription}</td>
                  <td className={`${td} max-w-xs truncate`} title={r.error ?? undefined}>
                    <Link className="hover:underline" href={`/deliveries/${r.deliveryId}`}>
                      attempt {r.attempt}
                    </Link>
                    {r.error ? <span className="text-zinc-500"> — {r.error}</span> : null}
                  </td>
                </>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
