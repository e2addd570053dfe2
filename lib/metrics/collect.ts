import type pg from 'pg';
import { type Family, histogramSamples, render } from './exposition';

interface TotalsRow {
  channel: string;
  subscription: string;
  published: number;
  succeeded: number;
  failed: number;
  dead: number;
  duration_sum_ms: number;
  duration_buckets: number[];
}

interface DepthRow {
  subscription: string;
  due: number;
  scheduled: number;
  running: number;
  dead: number;
  oldest_due_seconds: number | null;
}

/**
 * Everything /api/metrics reports, read in one short transaction. Totals come from
 * herald.activity_totals (kept by the rollup job), depths from the partial indexes that hold
 * only unfinished rows — nothing counts history.
 */
export async function collectMetrics(pool: pg.Pool): Promise<string> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN READ ONLY');
    // One after another: a client runs one query at a time anyway, and queuing several at once
    // on it is deprecated in pg 8 and removed in pg 9.
    const totals = await client.query<TotalsRow>(
      'SELECT * FROM herald.activity_totals ORDER BY channel, subscription',
    );
    const depth = await client.query<DepthRow>(`
        SELECT s.name AS subscription,
          (SELECT count(*) FROM herald.deliveries d WHERE d.subscription = s.name AND d.state = 'pending' AND d.run_at <= now())::int AS due,
          (SELECT count(*) FROM herald.deliveries d WHERE d.subscription = s.name AND d.state = 'pending' AND d.run_at > now())::int AS scheduled,
          (SELECT count(*) FROM herald.deliveries d WHERE d.subscription = s.name AND d.state = 'running')::int AS running,
          (SELECT count(*) FROM herald.deliveries d WHERE d.subscription = s.name AND d.state = 'dead')::int AS dead,
          (SELECT extract(epoch FROM now() - min(d.run_at)) FROM herald.deliveries d
            WHERE d.subscription = s.name AND d.state = 'pending' AND d.run_at <= now())::float8 AS oldest_due_seconds
        FROM herald.subscriptions s ORDER BY s.name`);
    const bounds = await client.query<{ b: number[] }>('SELECT herald.duration_buckets_ms() AS b');
    const workers = await client.query<{ alive: number }>(
      `SELECT count(*)::int AS alive FROM herald.workers WHERE last_heartbeat_at > now() - interval '60 seconds'`,
    );
    const listeners = await client.query<{ id: string; reconnects: number }>(
      'SELECT id, listener_reconnects AS reconnects FROM herald.workers ORDER BY id',
    );
    const circuits = await client.query<{
      subscription: string;
      state: string;
      concurrency: number;
      rate: number | null;
    }>(
      `SELECT s.name AS subscription, coalesce(c.state, 'closed') AS state,
              coalesce(s.concurrency_override, s.concurrency) AS concurrency,
              nullif(coalesce(s.rate_override, s.rate_per_second), 0) AS rate
       FROM herald.subscriptions s LEFT JOIN herald.circuits c ON c.subscription = s.name ORDER BY s.name`,
    );
    await client.query('COMMIT');
    const boundsSeconds = (bounds.rows[0]?.b ?? []).map((ms) => ms / 1000);
    const byChannel = totals.rows.filter((r) => r.channel !== '');
    const bySubscription = totals.rows.filter((r) => r.subscription !== '');
    const families: Family[] = [
      {
        name: 'herald_events_published_total',
        help: 'Events published, per channel.',
        type: 'counter',
        samples: byChannel.map((r) => ({ labels: { channel: r.channel }, value: Number(r.published) })),
      },
      ...(['succeeded', 'failed', 'dead'] as const).map(
        (kind): Family => ({
          name: `herald_attempts_${kind}_total`,
          help: `Delivery attempts that ${kind === 'dead' ? 'sent the delivery to the dead-letter queue' : kind}, per subscription.`,
          type: 'counter',
          samples: bySubscription.map((r) => ({
            labels: { subscription: r.subscription },
            value: Number(r[kind]),
          })),
        }),
      ),
      {
        name: 'herald_attempt_duration_seconds',
        help: 'How long handlers ran, per subscription.',
        type: 'histogram',
        samples: bySubscription.flatMap((r) =>
          histogramSamples(
            { subscription: r.subscription },
            boundsSeconds,
            r.duration_buckets.map(Number),
            Number(r.duration_sum_ms) / 1000,
          ),
        ),
      },
      {
        name: 'herald_deliveries',
        help: 'Unfinished deliveries by state (due = pending and runnable now; scheduled = waiting for a retry), and dead letters.',
        type: 'gauge',
        samples: depth.rows.flatMap((r) =>
          (['due', 'scheduled', 'running', 'dead'] as const).map((state) => ({
            labels: { subscription: r.subscription, state },
            value: r[state],
          })),
        ),
      },
      {
        name: 'herald_oldest_due_delivery_age_seconds',
        help: 'Age of the oldest delivery that is due and not yet claimed (the lag), per subscription.',
        type: 'gauge',
        samples: depth.rows.map((r) => ({
          labels: { subscription: r.subscription },
          value: r.oldest_due_seconds ?? 0,
        })),
      },
      {
        name: 'herald_circuit_open',
        help: "1 while a subscription's provider circuit breaker is open (the provider is down: deliveries held, one probe at a time), else 0.",
        type: 'gauge',
        samples: circuits.rows.map((r) => ({
          labels: { subscription: r.subscription },
          value: r.state === 'open' ? 1 : 0,
        })),
      },
      {
        name: 'herald_subscription_concurrency',
        help: 'Handlers a subscription may run at once per worker process (as declared, or as an operator set it).',
        type: 'gauge',
        samples: circuits.rows.map((r) => ({
          labels: { subscription: r.subscription },
          value: r.concurrency,
        })),
      },
      {
        name: 'herald_subscription_rate_limit_per_second',
        help: 'Sends per second a subscription may make across all worker processes together; absent: no limit.',
        type: 'gauge',
        samples: circuits.rows
          .filter((r) => r.rate !== null)
          .map((r) => ({ labels: { subscription: r.subscription }, value: r.rate! })),
      },
      {
        name: 'herald_workers_alive',
        help: 'Worker processes with a heartbeat in the last 60 s.',
        type: 'gauge',
        samples: [{ value: workers.rows[0]?.alive ?? 0 }],
      },
      {
        name: 'herald_listener_reconnects_total',
        help: "Times a worker's LISTEN connection was re-established.",
        type: 'counter',
        samples: listeners.rows.map((r) => ({ labels: { worker: r.id }, value: r.reconnects })),
      },
    ];
    return render(families);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
