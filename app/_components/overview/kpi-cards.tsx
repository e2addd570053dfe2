import type { Overview } from '@/lib/queries/overview';
import { formatAge, formatCount, formatPercent, formatRate, listHref } from './format';
import { card, Stat } from './ui';

/** The four questions of an incident: is traffic flowing, what fails, how much waits, how late. */
export function KpiCards({ data }: { data: Overview }) {
  const { traffic: t, queue: q } = data;
  const failing = t.failureRate !== null && t.failureRate > 0;
  return (
    <div className="grid grid-cols-1 gap-4 sm:grid-cols-2 xl:grid-cols-4">
      <section aria-label="Throughput" className={`${card} space-y-3 p-4`}>
        <Stat
          label="Published per second"
          value={formatRate(t.publishedPerSecond)}
          hint={`${formatRate(t.deliveredPerSecond)} delivered per second (last minute)`}
          tone="info"
        />
        <Stat label="Published (15 min)" value={formatCount(t.published15m)} href="/events" size="sm" />
      </section>
      <section aria-label="Failures" className={`${card} space-y-3 p-4`}>
        <Stat
          label="Failure rate (15 min)"
          value={formatPercent(t.failureRate)}
          tone={failing ? 'bad' : 'good'}
          hint="failed and dead attempts of all finished ones"
        />
        <div className="grid grid-cols-2 gap-2">
          <Stat
            label="Failed (15 min)"
            value={formatCount(t.failed15m)}
            size="sm"
            tone={t.failed15m ? 'bad' : 'neutral'}
          />
          <Stat
            label="Died (15 min)"
            value={formatCount(t.dead15m)}
            href="/dead-letters"
            size="sm"
            tone={t.dead15m ? 'bad' : 'neutral'}
          />
        </div>
      </section>
      <section aria-label="Queue depth" className={`${card} grid grid-cols-2 gap-3 p-4`}>
        <Stat
          label="Pending (due now)"
          value={formatCount(q.pendingDue, q.capped.pendingDue)}
          href={listHref('/events', { state: 'pending' })}
          tone={q.pendingDue ? 'warn' : 'neutral'}
          size="sm"
        />
        <Stat
          label="Scheduled for retry"
          value={formatCount(q.scheduled, q.capped.scheduled)}
          href={listHref('/events', { state: 'pending' })}
          size="sm"
        />
        <Stat
          label="Running"
          value={formatCount(q.running, q.capped.running)}
          href={listHref('/events', { state: 'running' })}
          size="sm"
          tone="info"
        />
        <Stat
          label="Dead"
          value={formatCount(q.dead, q.capped.dead)}
          href="/dead-letters"
          size="sm"
          tone={q.dead ? 'bad' : 'neutral'}
        />
      </section>
      <section aria-label="Lag" className={`${card} space-y-3 p-4`}>
        <Stat
          label="Oldest due delivery waiting"
          value={formatAge(q.lagSeconds)}
          tone={q.lagSeconds !== null && q.lagSeconds > 60 ? 'warn' : 'neutral'}
          hint={q.lagSeconds === null ? 'nothing is waiting' : 'since it became due'}
        />
        {Object.values(q.capped).some(Boolean) ? (
          <p className="text-xs text-zinc-500 dark:text-zinc-400">
            Counts with “+” stop at {formatCount(data.countCap)} per subscription to stay fast.
          </p>
        ) : null}
      </section>
    </div>
  );
}
