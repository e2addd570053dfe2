import { sql } from 'drizzle-orm';
import type { Metadata } from 'next';
import Link from 'next/link';
import { formatCount } from '@/app/_components/overview/format';
import { Badge } from '@/app/_components/ui/badge';
import { EmptyState } from '@/app/_components/ui/empty-state';
import { Time } from '@/app/_components/ui/time';
import { guardPage } from '@/lib/auth/guard';
import { can } from '@/lib/auth/principal';
import { pageReadDb } from '@/lib/db/page-reads';
import { retryPolicyInWords } from '@/lib/lookup/retry-words';
import { COUNT_CAP, subscriptionOverview } from '@/lib/queries/overview';
import { PauseButton } from './pause-button';
import { TuningButton } from './tuning-button';

export const metadata: Metadata = { title: 'Subscriptions' };
export const dynamic = 'force-dynamic';

const n = (v: number) => (v >= COUNT_CAP ? `${formatCount(COUNT_CAP)}+` : formatCount(v));

/** "10 at once per worker, at most 50 sends/s across all workers (set by …)". */
function tuningInWords(p: {
  declaredConcurrency: number;
  concurrencyOverride: number | null;
  declaredRate: number | null;
  rateOverride: number | null;
  tunedBy: string | null;
}): string {
  const concurrency = p.concurrencyOverride ?? p.declaredConcurrency;
  const rate = p.rateOverride ?? p.declaredRate;
  const tuned = p.concurrencyOverride !== null || p.rateOverride !== null;
  return (
    `${concurrency} at once per worker, ${rate ? `at most ${rate} sends/s across all workers` : 'no send rate limit'}` +
    (tuned
      ? ` (set by ${p.tunedBy ?? 'an operator'}; declared: ${p.declaredConcurrency}, ${p.declaredRate ?? 'no limit'})`
      : '')
  );
}

/** Each subscription: state, queue, recent outcomes, retry policy in words, pause/resume. */
export default async function SubscriptionsPage() {
  const me = await guardPage('/subscriptions');
  const db = await pageReadDb();
  const [stats, policies] = await Promise.all([
    subscriptionOverview(db),
    db.execute<{
      name: string;
      maxAttempts: number;
      backoffBaseMs: number;
      backoffMaxMs: number;
      pausedBy: string | null;
      // Raw statements hand timestamps back as text; converted where shown.
      pausedAt: string | null;
      declaredConcurrency: number;
      concurrencyOverride: number | null;
      declaredRate: number | null;
      rateOverride: number | null;
      tunedBy: string | null;
    }>(sql`
      SELECT name, max_attempts AS "maxAttempts", backoff_base_ms AS "backoffBaseMs", backoff_max_ms AS "backoffMaxMs",
             paused_by AS "pausedBy", paused_at AS "pausedAt",
             concurrency AS "declaredConcurrency", concurrency_override AS "concurrencyOverride",
             rate_per_second AS "declaredRate", rate_override AS "rateOverride", tuned_by AS "tunedBy"
      FROM herald.subscriptions`),
  ]);
  const policy = new Map(policies.rows.map((p) => [p.name, p]));
  const operate = can(me, 'subscriptions:operate');
  return (
    <>
      <h1 className="mb-4 text-xl font-semibold tracking-tight">Subscriptions</h1>
      {stats.length === 0 && (
        <EmptyState title="No subscriptions yet.">
          They appear when a worker starts: subscriptions are declared in code and synced by the worker (
          <code className="font-mono">npm run worker</code>).
        </EmptyState>
      )}
      <div className="space-y-4">
        {stats.map((s) => {
          const p = policy.get(s.name);
          return (
            <section
              key={s.name}
              aria-label={`Subscription ${s.name}`}
              className="rounded-lg border border-zinc-200 p-4 text-sm dark:border-zinc-800"
            >
              <div className="flex flex-wrap items-baseline justify-between gap-2">
                <h2 className="text-lg font-semibold">
                  {s.name} <span className="text-sm font-normal text-zinc-500">← {s.channelPattern}</span>
                </h2>
                <div>
                  <span className="mr-3">
                    <Badge tone={s.paused ? 'warn' : 'good'}>{s.paused ? 'Paused' : 'Running'}</Badge>
                  </span>
                  {operate && p && (
                    <span className="mr-2">
                      <TuningButton name={s.name} values={p} />
                    </span>
                  )}
                  {operate && <PauseButton name={s.name} paused={s.paused} />}
                </div>
              </div>
              {s.paused && (
                <p className="mt-1 text-amber-800 dark:text-amber-300">
                  Paused{p?.pausedBy ? ` by ${p.pausedBy}` : ''}
                  {p?.pausedAt ? (
                    <>
                      {' '}
                      <Time value={p.pausedAt} />
                    </>
                  ) : (
                    ''
                  )}
                  {s.pausedReason ? `: ${s.pausedReason}` : ''}
                </p>
              )}
              <dl className="mt-3 grid grid-cols-2 gap-2 sm:grid-cols-4">
                {(
                  [
                    ['Due now', n(s.pendingDue)],
                    ['Waiting for retry', n(s.scheduled)],
                    ['Running', n(s.running)],
                    ['Dead', n(s.dead)],
                    ['Delivered / s (last min)', s.succeededPerSecond.toFixed(1)],
                    ['Delivered (15 min)', formatCount(s.succeeded15m)],
                    ['Failed (15 min)', formatCount(s.failed15m)],
                    ['Lag', s.lagSeconds === null ? '—' : `${Math.round(s.lagSeconds)} s`],
                  ] as const
                ).map(([label, value]) => (
                  <div key={label}>
                    <dt className="text-zinc-500">{label}</dt>
                    <dd className="font-medium">{value}</dd>
                  </div>
                ))}
              </dl>
              {p && <p className="mt-3 text-zinc-600 dark:text-zinc-400">{retryPolicyInWords(p)}</p>}
              {p && <p className="mt-1 text-zinc-600 dark:text-zinc-400">{tuningInWords(p)}</p>}
              <p className="mt-2 flex gap-4">
                <Link className="underline" href={`/events?subscription=${encodeURIComponent(s.name)}`}>
                  Events
                </Link>
                <Link className="underline" href={`/dead-letters?subscription=${encodeURIComponent(s.name)}`}>
                  Dead letters
                </Link>
              </p>
            </section>
          );
        })}
      </div>
    </>
  );
}
