import { sql } from 'drizzle-orm';
import type { Db, Executor } from '../db/client';
import { HEARTBEAT_MAX_AGE_SECONDS } from '../health/queries';
import { type Range, ranges } from '../overview/ranges';

/**
 * The overview's numbers, all cheap at ten million rows (see `npm run bench:dashboard`):
 * traffic comes from the herald.activity rollups, never from scanning events or attempts;
 * queue counts walk the partial indexes (deliveries_runnable, deliveries_leases,
 * deliveries_dead), which hold only live rows, and stop at COUNT_CAP per subscription so a
 * dead-letter queue of millions still answers in milliseconds — the UI shows "10,000+" then.
 */
export const COUNT_CAP = 10_000;

export { isRange, type Range, rangeNames } from '../overview/ranges';

export type SeriesPoint = {
  /** Epoch seconds of the bucket's start. */
  t: number;
  published: number;
  succeeded: number;
  failed: number;
  dead: number;
};

export interface Series {
  range: Range;
  stepSeconds: number;
  /** First and last bucket (epoch seconds); every bucket in between is present, zeros included. */
  from: number;
  to: number;
  points: SeriesPoint[];
}

/** Throughput per bucket over a range, with empty buckets filled in so charts do not bridge gaps. */
export async function throughputSeries(db: Executor, range: Range): Promise<Series> {
  const { resolution, stepSeconds, spanSeconds } = ranges[range];
  const { rows } = await db.execute<SeriesPoint>(sql`
    WITH bounds AS (
      -- The database's clock, not the app server's, sets the window (like /api/health).
      SELECT to_timestamp(floor(extract(epoch FROM date_trunc(${resolution}, now())) / ${stepSeconds}) * ${stepSeconds}) AS upper
    )
    SELECT floor(extract(epoch FROM a.bucket) / ${stepSeconds})::bigint * ${stepSeconds} AS t,
           sum(a.published)::int AS published, sum(a.succeeded)::int AS succeeded,
           sum(a.failed)::int AS failed, sum(a.dead)::int AS dead
    FROM herald.activity a, bounds
    WHERE a.resolution = ${resolution}
      AND a.bucket > bounds.upper - ${spanSeconds} * interval '1 second'
      AND a.bucket < bounds.upper + ${stepSeconds} * interval '1 second'
    GROUP BY 1
    UNION ALL
    SELECT extract(epoch FROM bounds.upper)::bigint, -1, 0, 0, 0 FROM bounds`);
  const marker = rows.find((r) => r.published === -1);
  const to = Number(marker?.t ?? Math.floor(Date.now() / 1000));
  const from = to - spanSeconds + stepSeconds;
  const byT = new Map<number, SeriesPoint>();
  for (const r of rows) if (r.published !== -1) byT.set(Number(r.t), { ...r, t: Number(r.t) });
  const points: SeriesPoint[] = [];
  for (let t = from; t <= to; t += stepSeconds)
    points.push(byT.get(t) ?? { t, published: 0, succeeded: 0, failed: 0, dead: 0 });
  return { range, stepSeconds, from, to, points };
}

export interface Traffic {
  /** Events published per second, averaged over the last full minute. */
  publishedPerSecond: number;
  deliveredPerSecond: number;
  /** Totals over the last 15 minutes. */
  published15m: number;
  succeeded15m: number;
  failed15m: number;
  dead15m: number;
  /** Failed and dead attempts out of all finished attempts in the last 15 minutes, 0..1. */
  failureRate: number | null;
}

export async function traffic(db: Executor): Promise<Traffic> {
  const { rows } = await db.execute<{
    p1: number;
    s1: number;
    p: number;
    s: number;
    f: number;
    d: number;
  }>(sql`
    SELECT coalesce(sum(published) FILTER (WHERE bucket >= date_trunc('second', now()) - interval '60 seconds'), 0)::int AS p1,
           coalesce(sum(succeeded) FILTER (WHERE bucket >= date_trunc('second', now()) - interval '60 seconds'), 0)::int AS s1,
           coalesce(sum(published), 0)::int AS p, coalesce(sum(succeeded), 0)::int AS s,
           coalesce(sum(failed), 0)::int AS f, coalesce(sum(dead), 0)::int AS d
    FROM herald.activity
    WHERE resolution = 'second' AND bucket >= date_trunc('second', now()) - interval '15 minutes'`);
  const r = rows[0] ?? { p1: 0, s1: 0, p: 0, s: 0, f: 0, d: 0 };
  const finished = r.s + r.f + r.d;
  return {
    publishedPerSecond: r.p1 / 60,
    deliveredPerSecond: r.s1 / 60,
    published15m: r.p,
    succeeded15m: r.s,
    failed15m: r.f,
    dead15m: r.d,
    failureRate: finished === 0 ? null : (r.f + r.d) / finished,
  };
}

export type SubscriptionOverview = {
  name: string;
  channelPattern: string;
  paused: boolean;
  pausedReason: string | null;
  /** Pending and due now (capped at COUNT_CAP). */
  pendingDue: number;
  /** Pending with run_at in the future: waiting for a retry or a scheduled time (capped). */
  scheduled: number;
  running: number;
  dead: number;
  /** Seconds since the oldest due pending delivery became due; null when none is due. */
  lagSeconds: number | null;
  /** From the rollups: last minute and last 15 minutes. */
  succeededPerSecond: number;
  succeeded15m: number;
  failed15m: number;
  dead15m: number;
  /**
   * The provider circuit breaker (issue #21): `open` while the provider is down (deliveries
   * held, one probe at a time), `half-open` while the held ones are released, else `closed`.
   */
  circuit: 'closed' | 'open' | 'half-open';
  /** When the current outage began (open or half-open), ISO 8601; null when closed. */
  circuitOpenedAt: string | null;
  /** When the provider answered again (half-open), ISO 8601; null otherwise. */
  circuitBackAt: string | null;
  /** Next probe (open), ISO 8601; null otherwise. */
  circuitNextProbeAt: string | null;
  /** Probes sent in the current (or last) outage. */
  circuitProbes: number;
};

/** One row per subscription; every count is a bounded walk of one partial index. */
export async function subscriptionOverview(db: Db): Promise<SubscriptionOverview[]> {
  // JIT off: the planner multiplies the subqueries' costs by its guess of the subscription
  // count and then spends ~300 ms compiling a query that runs in a few (measured at 10 M rows).
  return db.transaction(async (tx) => {
    await tx.execute(sql`SET LOCAL jit = off`);
    const { rows } = await tx.execute<SubscriptionOverview>(sql`
    WITH recent AS (
      SELECT subscription,
             sum(succeeded) FILTER (WHERE bucket >= date_trunc('second', now()) - interval '60 seconds') AS s1,
             sum(succeeded) AS s, sum(failed) AS f, sum(dead) AS d
      FROM herald.activity
      WHERE resolution = 'second' AND subscription <> ''
        AND bucket >= date_trunc('second', now()) - interval '15 minutes'
      GROUP BY subscription
    )
    SELECT s.name, s.channel_pattern AS "channelPattern", s.paused, s.paused_reason AS "pausedReason",
      (SELECT count(*) FROM (SELECT 1 FROM herald.deliveries d
         WHERE d.state = 'pending' AND d.subscription = s.name AND d.run_at <= now()
         ORDER BY d.run_at LIMIT ${COUNT_CAP}) x)::int AS "pendingDue",
      (SELECT count(*) FROM (SELECT 1 FROM herald.deliveries d
         WHERE d.state = 'pending' AND d.subscription = s.name AND d.run_at > now()
         ORDER BY d.run_at LIMIT ${COUNT_CAP}) x)::int AS scheduled,
      (SELECT count(*) FROM (SELECT 1 FROM herald.deliveries d
         WHERE d.state = 'running' AND d.subscription = s.name LIMIT ${COUNT_CAP}) x)::int AS running,
      (SELECT count(*) FROM (SELECT 1 FROM herald.deliveries d
         WHERE d.state = 'dead' AND d.subscription = s.name
         -- The order of deliveries_dead: without it the planner may prefer a sequential scan
         -- that stops after COUNT_CAP rows, which it believes is near (290 ms at 10 M rows).
         ORDER BY d.finished_at LIMIT ${COUNT_CAP}) x)::int AS dead,
      -- deliveries_runnable is ordered by (subscription, run_at): the first entry is the oldest.
      (SELECT extract(epoch FROM now() - d.run_at)::float8 FROM herald.deliveries d
         WHERE d.state = 'pending' AND d.subscription = s.name AND d.run_at <= now()
         ORDER BY d.run_at LIMIT 1) AS "lagSeconds",
      coalesce(r.s1, 0)::float8 / 60 AS "succeededPerSecond",
      coalesce(r.s, 0)::int AS "succeeded15m", coalesce(r.f, 0)::int AS "failed15m", coalesce(r.d, 0)::int AS "dead15m",
      coalesce(c.state, 'closed') AS circuit, c.opened_at AS "circuitOpenedAt", c.half_open_at AS "circuitBackAt",
      c.next_probe_at AS "circuitNextProbeAt", coalesce(c.probes, 0)::int AS "circuitProbes"
    FROM herald.subscriptions s
    LEFT JOIN recent r ON r.subscription = s.name
    LEFT JOIN herald.circuits c ON c.subscription = s.name
    ORDER BY s.name`);
    // Raw statements return timestamps as PostgreSQL prints them: ISO 8601, as JSON sends them.
    const date = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string).toISOString());
    return rows.map((r) => ({
      ...r,
      circuitOpenedAt: date(r.circuitOpenedAt),
      circuitBackAt: date(r.circuitBackAt),
      circuitNextProbeAt: date(r.circuitNextProbeAt),
    }));
  });
}

export interface WorkerOverview {
  id: string;
  hostname: string;
  pid: number;
  subscriptions: number;
  lastHeartbeatAt: string;
  ageSeconds: number;
  /** Heartbeat within HEARTBEAT_MAX_AGE_SECONDS, like /api/health. */
  online: boolean;
}

export async function workerOverview(db: Executor): Promise<WorkerOverview[]> {
  const { rows } = await db.execute<Omit<WorkerOverview, 'online' | 'lastHeartbeatAt'> & { last: Date }>(sql`
    SELECT id, hostname, pid, cardinality(subscriptions) AS subscriptions, last_heartbeat_at AS last,
           extract(epoch FROM now() - last_heartbeat_at)::float8 AS "ageSeconds"
    FROM herald.workers ORDER BY last_heartbeat_at DESC LIMIT 100`);
  return rows.map(({ last, ...w }) => ({
    ...w,
    lastHeartbeatAt: new Date(last).toISOString(),
    online: w.ageSeconds < HEARTBEAT_MAX_AGE_SECONDS,
  }));
}

export interface QueueDepth {
  pendingDue: number;
  scheduled: number;
  running: number;
  dead: number;
  /** True when some count stopped at the cap: the true number is higher. */
  capped: { pendingDue: boolean; scheduled: boolean; running: boolean; dead: boolean };
  lagSeconds: number | null;
}

/** Sums the per-subscription counts: one walk of each index serves the table and the totals. */
export function queueDepth(subs: SubscriptionOverview[]): QueueDepth {
  const sum = (k: 'pendingDue' | 'scheduled' | 'running' | 'dead') => subs.reduce((n, s) => n + s[k], 0);
  const capped = (k: 'pendingDue' | 'scheduled' | 'running' | 'dead') => subs.some((s) => s[k] >= COUNT_CAP);
  const lags = subs.map((s) => s.lagSeconds).filter((l): l is number => l !== null);
  return {
    pendingDue: sum('pendingDue'),
    scheduled: sum('scheduled'),
    running: sum('running'),
    dead: sum('dead'),
    capped: {
      pendingDue: capped('pendingDue'),
      scheduled: capped('scheduled'),
      running: capped('running'),
      dead: capped('dead'),
    },
    lagSeconds: lags.length ? Math.max(...lags) : null,
  };
}

export interface Overview {
  generatedAt: string;
  countCap: number;
  heartbeatMaxAgeSeconds: number;
  series: Series;
  traffic: Traffic;
  queue: QueueDepth;
  subscriptions: SubscriptionOverview[];
  workers: WorkerOverview[];
  /** Work is due on an active subscription and no worker has a recent heartbeat. */
  noWorkers: boolean;
}

export async function overview(db: Db, range: Range): Promise<Overview> {
  const [series, t, subscriptions, workers] = await Promise.all([
    throughputSeries(db, range),
    traffic(db),
    subscriptionOverview(db),
    workerOverview(db),
  ]);
  const waiting = subscriptions.some((s) => !s.paused && s.pendingDue > 0);
  return {
    generatedAt: new Date().toISOString(),
    countCap: COUNT_CAP,
    heartbeatMaxAgeSeconds: HEARTBEAT_MAX_AGE_SECONDS,
    series,
    traffic: t,
    queue: queueDepth(subscriptions),
    subscriptions,
    workers,
    noWorkers: waiting && !workers.some((w) => w.online),
  };
}
