import type { AlertKind } from '../db/schema';
import { duration } from './kinds';

/**
 * The alert conditions, one function per kind, each one SQL statement over every subscription a
 * rule applies to (`targets`, passed as arrays and unnested). They read what the rollups
 * (herald.activity, written each second by the same leader), the runnable-deliveries index, the
 * workers' heartbeats and the circuits already hold: no count over history.
 *
 * Where a subscription's circuit is not closed, stall, oldest_due and failure_rate stay quiet:
 * the circuit_open alert already says the provider is down, and one outage should page once.
 * Paused subscriptions hold their deliveries on purpose: no stall, age or heartbeat alert for them.
 */

export interface Queryable {
  query<R extends object = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

/** One subscription a rule applies to, with the rule's numbers. */
export interface RuleTarget {
  subscription: string;
  threshold: number;
  windowSeconds: number;
  minCount: number;
}

/** A condition that holds now, for one subscription. */
export interface Finding {
  subscription: string;
  /** The measured amount (seconds, percent, count). */
  value: number;
  /** When it began, as far as the rule can tell. */
  since: Date | null;
  /** How bad, in words: "1,240 deliveries due, none finished for 12 min". */
  summary: string;
}

export type Condition = (db: Queryable, targets: RuleTarget[]) => Promise<Finding[]>;

/** Deliveries waiting to be claimed are counted up to this many (the rest is "10,000+"). */
const COUNT_CAP = 10_000;
/** A worker that heartbeated this recently is alive (workers heartbeat every few seconds). */
const ALIVE_SECONDS = 60;

const count = (n: number) => (n >= COUNT_CAP ? `${COUNT_CAP.toLocaleString('en')}+` : n.toLocaleString('en'));
const unnest = (targets: RuleTarget[]) => [
  targets.map((t) => t.subscription),
  targets.map((t) => t.windowSeconds),
  targets.map((t) => t.threshold),
  targets.map((t) => t.minCount),
];
const TARGETS = `unnest($1::text[], $2::int[], $3::float8[], $4::int[]) AS r(subscription, window_s, threshold, min_count)`;

/** Rollup rows of one subscription in the last `window_s`: per second up to 50 min, per minute beyond. */
const ACTIVITY_IN_WINDOW = `
  a.subscription = r.subscription
  AND a.resolution = CASE WHEN r.window_s <= 3000 THEN 'second' ELSE 'minute' END
  AND a.bucket >= now() - make_interval(secs => r.window_s)`;

const CIRCUIT_CLOSED = `NOT EXISTS (
  SELECT 1 FROM herald.circuits c WHERE c.subscription = r.subscription AND c.state <> 'closed')`;

/** Due deliveries (the oldest first, from the runnable index), counted up to COUNT_CAP. */
const DUE = `CROSS JOIN LATERAL (
  SELECT min(d.run_at) AS oldest, count(*)::int AS n FROM (
    SELECT d.run_at FROM herald.deliveries d
    WHERE d.subscription = r.subscription AND d.state = 'pending' AND d.run_at <= now()
    ORDER BY d.run_at LIMIT ${COUNT_CAP}) d) due`;

/**
 * Due and not finished: pending ones whose time has come, and claimed ones (running, prefetched
 * included: a stuck worker may hold every due delivery), each due since its run_at. Running rows
 * are few (concurrency × workers), found by the lease index.
 */
const DUE_OR_CLAIMED = `CROSS JOIN LATERAL (
  SELECT min(x.run_at) AS oldest, count(*)::int AS n FROM (
    (SELECT d.run_at FROM herald.deliveries d
     WHERE d.subscription = r.subscription AND d.state = 'pending' AND d.run_at <= now()
     ORDER BY d.run_at LIMIT ${COUNT_CAP})
    UNION ALL
    (SELECT d.run_at FROM herald.deliveries d
     WHERE d.subscription = r.subscription AND d.state = 'running' AND d.lease_expires_at IS NOT NULL
     LIMIT ${COUNT_CAP})) x) due`;

/**
 * A stall: deliveries have been due (or claimed) for the whole window, nothing finished in it (no success,
 * failure or dead end), yet a worker serving the subscription is alive. Every gauge looks
 * healthy: workers heartbeat, nothing fails; only the finishes are missing.
 */
export const stall: Condition = async (db, targets) => {
  const { rows } = await db.query<{ subscription: string; due: number; oldest: Date; last: Date | null }>(
    `SELECT r.subscription, due.n AS due, due.oldest, fin.last
     FROM ${TARGETS}
     JOIN herald.subscriptions s ON s.name = r.subscription AND NOT s.paused
     ${DUE_OR_CLAIMED}
     CROSS JOIN LATERAL (
       SELECT max(a.bucket) FILTER (WHERE a.succeeded + a.failed + a.dead > 0) AS last
       FROM herald.activity a WHERE ${ACTIVITY_IN_WINDOW}) fin
     WHERE due.oldest <= now() - make_interval(secs => r.window_s)
       AND fin.last IS NULL
       AND ${CIRCUIT_CLOSED}
       AND EXISTS (SELECT 1 FROM herald.workers w
                   WHERE r.subscription = ANY (w.subscriptions)
                     AND w.last_heartbeat_at > now() - interval '${ALIVE_SECONDS} seconds')`,
    unnest(targets),
  );
  return rows.map((row) => {
    const t = targets.find((x) => x.subscription === row.subscription);
    const since = new Date(row.oldest);
    return {
      subscription: row.subscription,
      value: row.due,
      since,
      summary: `${count(row.due)} deliveries due or claimed, none finished for at least ${duration(t?.windowSeconds ?? 0)} while workers are alive`,
    };
  });
};

/** The oldest due delivery has waited longer than the window. */
export const oldestDue: Condition = async (db, targets) => {
  const { rows } = await db.query<{ subscription: string; due: number; oldest: Date; age: number }>(
    `SELECT r.subscription, due.n AS due, due.oldest, extract(epoch FROM now() - due.oldest)::float8 AS age
     FROM ${TARGETS}
     JOIN herald.subscriptions s ON s.name = r.subscription AND NOT s.paused
     ${DUE}
     WHERE due.oldest <= now() - make_interval(secs => r.window_s) AND ${CIRCUIT_CLOSED}`,
    unnest(targets),
  );
  return rows.map((row) => ({
    subscription: row.subscription,
    value: row.age,
    since: new Date(row.oldest),
    summary: `the oldest of ${count(row.due)} due deliveries has waited ${duration(row.age)}`,
  }));
};

/** More than `threshold` % of the outcomes in the window failed, counting at least `min_count`. */
export const failureRate: Condition = async (db, targets) => {
  const { rows } = await db.query<{
    subscription: string;
    total: number;
    failed: number;
    first: Date | null;
  }>(
    `SELECT r.subscription, f.total, f.failed, f.first
     FROM ${TARGETS}
     CROSS JOIN LATERAL (
       SELECT coalesce(sum(a.succeeded + a.failed + a.dead), 0)::int AS total,
              coalesce(sum(a.failed + a.dead), 0)::int AS failed,
              min(a.bucket) FILTER (WHERE a.failed + a.dead > 0) AS first
       FROM herald.activity a WHERE ${ACTIVITY_IN_WINDOW}) f
     WHERE f.total >= greatest(r.min_count, 1) AND f.failed * 100.0 / f.total > r.threshold
       AND ${CIRCUIT_CLOSED}`,
    unnest(targets),
  );
  return rows.map((row) => {
    const t = targets.find((x) => x.subscription === row.subscription);
    const pct = (row.failed * 100) / row.total;
    return {
      subscription: row.subscription,
      value: pct,
      since: row.first ? new Date(row.first) : null,
      summary: `${pct.toFixed(1)} % of attempts failed (${count(row.failed)} of ${count(row.total)}) in the last ${duration(t?.windowSeconds ?? 0)}`,
    };
  });
};

/** More than `threshold` deliveries went dead in the window. */
export const deadGrowth: Condition = async (db, targets) => {
  const { rows } = await db.query<{ subscription: string; dead: number; first: Date | null }>(
    `SELECT r.subscription, f.dead, f.first
     FROM ${TARGETS}
     CROSS JOIN LATERAL (
       SELECT coalesce(sum(a.dead), 0)::int AS dead, min(a.bucket) FILTER (WHERE a.dead > 0) AS first
       FROM herald.activity a WHERE ${ACTIVITY_IN_WINDOW}) f
     WHERE f.dead > r.threshold`,
    unnest(targets),
  );
  return rows.map((row) => {
    const t = targets.find((x) => x.subscription === row.subscription);
    return {
      subscription: row.subscription,
      value: row.dead,
      since: row.first ? new Date(row.first) : null,
      summary: `${count(row.dead)} deliveries went to the dead letters in the last ${duration(t?.windowSeconds ?? 0)}`,
    };
  });
};

/**
 * Deliveries are due and no worker serving the subscription has heartbeated within the window
 * (or none is registered: rescue forgets workers silent for 2 minutes).
 */
export const noHeartbeat: Condition = async (db, targets) => {
  const { rows } = await db.query<{
    subscription: string;
    due: number;
    oldest: Date;
    last: Date | null;
    silent: number | null;
  }>(
    `SELECT r.subscription, due.n AS due, due.oldest, w.last, extract(epoch FROM now() - w.last)::float8 AS silent
     FROM ${TARGETS}
     JOIN herald.subscriptions s ON s.name = r.subscription AND NOT s.paused
     ${DUE}
     CROSS JOIN LATERAL (
       SELECT max(w.last_heartbeat_at) AS last FROM herald.workers w
       WHERE r.subscription = ANY (w.subscriptions)) w
     WHERE due.n > 0 AND (w.last IS NULL OR w.last < now() - make_interval(secs => r.window_s))`,
    unnest(targets),
  );
  return rows.map((row) => {
    const last = row.last ? new Date(row.last) : null;
    return {
      subscription: row.subscription,
      value: row.due,
      since: last ?? new Date(row.oldest),
      summary: `${count(row.due)} deliveries due and ${
        row.silent === null
          ? 'no worker runs this subscription'
          : `no worker for this subscription has sent a heartbeat for ${duration(row.silent)}`
      }`,
    };
  });
};

/** The subscription's provider circuit is open (sql/functions/circuit_*.sql) for at least the window. */
export const circuitOpen: Condition = async (db, targets) => {
  const { rows } = await db.query<{
    subscription: string;
    openedAt: Date;
    openedBy: string | null;
    probes: number;
    held: number;
  }>(
    `SELECT r.subscription, c.opened_at AS "openedAt", c.opened_by AS "openedBy", c.probes, held.n AS held
     FROM ${TARGETS}
     JOIN herald.circuits c ON c.subscription = r.subscription
     CROSS JOIN LATERAL (
       SELECT count(*)::int AS n FROM (
         SELECT 1 FROM herald.deliveries d
         WHERE d.subscription = r.subscription AND d.state = 'pending' LIMIT ${COUNT_CAP}) d) held
     WHERE c.state = 'open' AND c.opened_at <= now() - make_interval(secs => r.window_s)`,
    unnest(targets),
  );
  return rows.map((row) => ({
    subscription: row.subscription,
    value: row.held,
    since: new Date(row.openedAt),
    summary: `the provider is down${row.openedBy ? ` (${row.openedBy.slice(0, 200)})` : ''}: ${count(row.held)} deliveries held, ${row.probes} probes so far`,
  }));
};

export const conditions: Record<AlertKind, Condition> = {
  stall,
  oldest_due: oldestDue,
  failure_rate: failureRate,
  dead_growth: deadGrowth,
  no_heartbeat: noHeartbeat,
  circuit_open: circuitOpen,
};
