import type { WorkerOverview } from '@/lib/queries/overview';
import { Time } from '../ui/time';
import { Badge, table, td, th } from './ui';

export function WorkersList({ rows }: { rows: WorkerOverview[] }) {
  if (rows.length === 0) return <p className="text-sm text-zinc-500">No worker has registered yet.</p>;
  return (
    <div className="overflow-x-auto">
      <table className={table}>
        <thead>
          <tr>
            <th className={th}>Worker</th>
            <th className={th}>Subscriptions</th>
            <th className={th}>Last heartbeat</th>
            <th className={th}>Status</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((w) => (
            <tr key={w.id}>
              <td className={`${td} font-mono`}>
                {w.hostname} · pid {w.pid}
              </td>
              <td className={td}>{w.subscriptions}</td>
              <td className={td}>
                <Time value={w.lastHeartbeatAt} />
              </td>
              <td className={td}>
                {w.online ? <Badge tone="good">Online</Badge> : <Badge tone="bad">Not responding</Badge>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
