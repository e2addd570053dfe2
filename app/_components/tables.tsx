import { HEARTBEAT_MAX_AGE_SECONDS } from '@/lib/health/queries';
import type { SubscriptionSummary, WorkerSummary } from '@/lib/overview/queries';
import { Empty } from './section';

const table = 'w-full text-left text-sm';
const frame =
  'overflow-hidden rounded-lg border border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900';
const th = 'px-4 py-2 font-medium text-zinc-500';
const td = 'border-t border-zinc-100 px-4 py-2 dark:border-zinc-800';

export function SubscriptionsTable({ rows }: { rows: SubscriptionSummary[] }) {
  if (rows.length === 0)
    return <Empty>No subscriptions yet. Workers sync the ones declared in code when they start.</Empty>;
  return (
    <div className={frame}>
      <table className={table}>
        <thead>
          <tr>
            <th className={th}>Name</th>
            <th className={th}>Channel</th>
            <th className={th}>Status</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((s) => (
            <tr key={s.name}>
              <td className={`${td} font-mono`}>{s.name}</td>
              <td className={`${td} font-mono`}>{s.channelPattern}</td>
              <td className={td}>
                {s.paused ? (
                  <span className="text-amber-600 dark:text-amber-400">
                    Paused{s.pausedReason ? ` — ${s.pausedReason}` : ''}
                  </span>
                ) : (
                  'Active'
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function WorkersTable({ rows }: { rows: WorkerSummary[] }) {
  if (rows.length === 0) return <Empty>No worker is running. Deliveries wait until one starts.</Empty>;
  return (
    <div className={frame}>
      <table className={table}>
        <thead>
          <tr>
            <th className={th}>Worker</th>
            <th className={th}>Subscriptions</th>
            <th className={th}>Last heartbeat</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((w) => {
            const stale = w.ageSeconds >= HEARTBEAT_MAX_AGE_SECONDS;
            return (
              <tr key={w.id}>
                <td className={`${td} font-mono`}>
                  {w.hostname} · pid {w.pid}
                </td>
                <td className={td}>{w.subscriptions.length}</td>
                <td className={td}>
                  <time
                    dateTime={w.lastHeartbeatAt.toISOString()}
                    className={stale ? 'text-red-600 dark:text-red-400' : undefined}
                  >
                    {Math.round(w.ageSeconds)} s ago{stale ? ' (not responding)' : ''}
                  </time>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
