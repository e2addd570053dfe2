import type { SubscriptionOverview } from '@/lib/queries/overview';
import { formatAge, formatCount, formatRate, listHref } from './format';
import { Badge, CountLink, table, td, tdNum, th, thNum } from './ui';

export function SubscriptionsTable({ rows, cap }: { rows: SubscriptionOverview[]; cap: number }) {
  if (rows.length === 0)
    return (
      <p className="text-sm text-zinc-500">
        No subscriptions yet. Workers sync the ones declared in code when they start.
      </p>
    );
  return (
    <div className="overflow-x-auto">
      <table className={table}>
        <thead>
          <tr>
            <th className={th}>Subscription</th>
            <th className={th}>Channel</th>
            <th className={thNum}>Delivered/s</th>
            <th className={thNum}>Failed (15 min)</th>
            <th className={thNum}>Pending</th>
            <th className={thNum}>Retrying</th>
            <th className={thNum}>Dead</th>
            <th className={thNum}>Lag</th>
            <th className={th}>Status</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((s) => (
            <tr key={s.name}>
              <th scope="row" className={`${td} font-mono font-normal`}>
                {s.name}
              </th>
              <td className={`${td} font-mono text-zinc-500`}>{s.channelPattern}</td>
              <td className={tdNum}>{formatRate(s.succeededPerSecond)}</td>
              <td className={tdNum}>
                <CountLink
                  value={formatCount(s.failed15m + s.dead15m)}
                  href={listHref('/events', { subscription: s.name })}
                  tone="bad"
                />
              </td>
              <td className={tdNum}>
                <CountLink
                  value={formatCount(s.pendingDue, s.pendingDue >= cap)}
                  href={listHref('/events', { subscription: s.name, state: 'pending' })}
                  tone="warn"
                />
              </td>
              <td className={tdNum}>
                <CountLink
                  value={formatCount(s.scheduled, s.scheduled >= cap)}
                  href={listHref('/events', { subscription: s.name, state: 'pending' })}
                />
              </td>
              <td className={tdNum}>
                <CountLink
                  value={formatCount(s.dead, s.dead >= cap)}
                  href={listHref('/dead-letters', { subscription: s.name })}
                  tone="bad"
                />
              </td>
              <td className={tdNum}>{formatAge(s.lagSeconds)}</td>
              <td className={td}>
                {s.paused ? (
                  <span title={s.pausedReason ?? undefined}>
                    <Badge tone="warn">Paused</Badge>
                  </span>
                ) : (
                  <Badge tone="good">Active</Badge>
                )}
                {s.circuit !== 'closed' && (
                  <span title={`Provider down since ${s.circuitOpenedAt}; ${s.circuitProbes} probes`}>
                    {' '}
                    <Badge tone={s.circuit === 'open' ? 'bad' : 'warn'}>
                      {s.circuit === 'open' ? 'Provider down: holding' : 'Provider back: releasing'}
                    </Badge>
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
