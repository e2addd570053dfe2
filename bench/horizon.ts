/**
 * `npm run bench:horizon [-- --quick | --rates 200,1000 --before-s 120 --hold-s 600 --after-s 180
 *   --interval-s 60 --only herald|graphile]`
 *
 * Steady latency under a held snapshot (issue 22, item 4). A steady stream of order emails
 * (publishes at a fixed rate) is delivered by Herald's worker and by graphile-worker, one after
 * the other on the same PostgreSQL server (DATABASE_URL, else an embedded one), each in a fresh
 * database, each handler sending one email through the official `postmark` client to a minimal
 * Postmark-compatible stand-in (bench/horizon-postmark.ts). After the "before" phase, another
 * session in the same database runs `BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1` and idles
 * for the hold, as a forgotten transaction or a long report would: VACUUM can then remove no row
 * version that died after it began. Per interval: publish→accepted p50/p99 (from just before the
 * publish call to the stand-in's answer in the handler), dead tuples in the system's schema, its
 * claim index's entries read per index scan (the dead entries a claim walks over; every index of
 * the queue table in the JSON), and the share of its queue-table updates that were HOT. For Herald, the plan of the
 * claim's row search is captured with EXPLAIN (ANALYZE, BUFFERS) at the end of the "before"
 * phase and at the end of the hold. Table, then one JSON line.
 */

import os from 'node:os';
import { Logger as GraphileLogger, makeWorkerUtils, type Runner, run as runGraphile } from 'graphile-worker';
import pg from 'pg';
import { z } from 'zod';
import { defineChannels } from '../lib/channels/registry';
import { createDb, createPool } from '../lib/db/client';
import { migrateDatabase } from '../lib/db/migrate';
import { createPublisher } from '../lib/publish';
import { subscriptionsFor } from '../lib/subscriptions/define';
import { syncSubscriptions } from '../lib/subscriptions/sync';
import { CLAIM_FLOOR_MARGIN_MS } from '../worker/claim-floor';
import { Worker } from '../worker/worker';
import {
  adminQuery,
  flag,
  fmt,
  numberFlag,
  openServer,
  percentile,
  round,
  type Server,
  silentLog,
  sleep,
  table,
} from './common';
import { orderEmail, type PostmarkStandIn, startPostmarkStandIn } from './horizon-postmark';

const QUICK = process.argv.includes('--quick');
const RATES = (flag('rates') ?? (QUICK ? '200' : '200,1000'))
  .split(',')
  .map((v) => Number(v.trim()))
  .filter((v) => Number.isFinite(v) && v > 0);
if (RATES.length === 0) throw new Error('--rates takes a comma-separated list of publishes per second');
/** Defaults follow the issue: a 10-minute hold. `--quick`: 1 minute before, 3 held, 1 after. */
const BEFORE_S = numberFlag('before-s', QUICK ? 60 : 120);
const HOLD_S = numberFlag('hold-s', QUICK ? 180 : 600);
const AFTER_S = numberFlag('after-s', QUICK ? 60 : 180);
const INTERVAL_S = numberFlag('interval-s', 60);
/** Not measured: the worker's first claims, connection set-up, the client's first request. */
const WARMUP_S = numberFlag('warmup-s', 5);
const CONCURRENCY = 10;
/**
 * `--batch`: Herald sends through Postmark's batch endpoint (the email subscription's default, up
 * to 500 per request) instead of one request per email; graphile-worker's handler stays one email
 * per job, with `--graphile-concurrency` and `--graphile-local-queue` (its fastest configuration in
 * bench:email: 20 and 500). For rates that one email per request at concurrency 10 cannot carry.
 */
const BATCH = process.argv.includes('--batch');
const BATCH_SIZE = 500;
const GRAPHILE_CONCURRENCY = numberFlag('graphile-concurrency', CONCURRENCY);
const GRAPHILE_LOCAL_QUEUE = numberFlag('graphile-local-queue', 0);
/** Publishes in flight at once; a publisher slower than the rate shows as fewer sent, not a pile-up. */
const MAX_IN_FLIGHT = 16;
const ONLY = flag('only');
/** How long the backlog of a hold may take to drain once the stream stops. */
const DRAIN_TIMEOUT_MS = 180_000;

// ------------------------------------------------------------------------------------ recorder

/** Publish and acceptance times by email number. */
class Recorder {
  readonly published: Float64Array;
  readonly accepted: Float64Array;
  duplicates = 0;
  acceptedCount = 0;

  constructor(size: number) {
    this.published = new Float64Array(size).fill(Number.NaN);
    this.accepted = new Float64Array(size).fill(Number.NaN);
  }

  accept(n: unknown) {
    const at = performance.now();
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n >= this.accepted.length) return;
    if (Number.isNaN(this.accepted[n]!)) {
      this.accepted[n] = at;
      this.acceptedCount++;
    } else {
      this.duplicates++;
    }
  }
}

// -------------------------------------------------------------------------------------- systems

interface System {
  name: string;
  /** Schema whose tables' dead tuples are counted, and the queue table inside it. */
  schema: string;
  queueTable: string;
  /** The index its claim walks (the table column); every queue-table index is in the JSON. */
  claimIndex: string;
  setup(url: string, recorder: Recorder, postmark: PostmarkStandIn): Promise<void>;
  startWorker(): Promise<void>;
  publish(n: number): Promise<void>;
  /** EXPLAIN (ANALYZE, BUFFERS) of the claim's row search, if this system has one to show. */
  explainClaim?: string[];
  /** Counts what is still queued (not yet delivered), so a late email is told from a lost one. */
  queuedSql: string;
  stop(): Promise<void>;
}

const channels = defineChannels({ 'order.email': z.object({ n: z.number().int().nonnegative() }) });
const { publish } = createPublisher(channels);
const subscribe = subscriptionsFor(channels);
const SUBSCRIPTION = 'order-email';

function herald(): System {
  let workerPool: pg.Pool | undefined;
  let publisherPool: pg.Pool | undefined;
  let worker: Worker | undefined;
  let url = '';
  let database: ReturnType<typeof createDb> | undefined;
  let subscription: ReturnType<typeof subscribe> | undefined;
  return {
    name: 'herald',
    schema: 'herald',
    queueTable: 'deliveries',
    claimIndex: 'deliveries_runnable',
    queuedSql: "SELECT count(*)::int AS n FROM herald.deliveries WHERE state IN ('pending', 'running')",
    // The row search of herald.claim_many (sql/functions/claim_many.sql) with its settings, from
    // the floor the worker would pass (the newest claimed run_at less the margin,
    // worker/claim-floor.ts); the rows it locks are released by the rollback, and SKIP LOCKED
    // makes the worker step past them.
    explainClaim: [
      `SELECT set_config('bench.floor',
         (SELECT coalesce(max(run_at), '-infinity') - ${CLAIM_FLOOR_MARGIN_MS} * interval '1 millisecond'
          FROM herald.deliveries WHERE subscription = '${SUBSCRIPTION}' AND state <> 'pending')::text, true)`,
      'SET LOCAL jit = off',
      'SET LOCAL enable_seqscan = off',
      'SET LOCAL enable_hashjoin = off',
      'SET LOCAL enable_mergejoin = off',
      `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
       SELECT d.id FROM herald.deliveries d
       WHERE d.subscription = '${SUBSCRIPTION}' AND d.state = 'pending'
         AND d.run_at >= current_setting('bench.floor')::timestamptz AND d.run_at <= now()
       ORDER BY d.run_at, d.id LIMIT ${CONCURRENCY * 2}
       FOR UPDATE SKIP LOCKED`,
    ],
    async setup(dbUrl, recorder, postmark) {
      url = dbUrl;
      await migrateDatabase(url);
      workerPool = createPool(url, { max: 10, applicationName: 'herald-bench-worker' });
      publisherPool = createPool(url, { max: MAX_IN_FLIGHT, applicationName: 'herald-bench-publisher' });
      database = createDb(publisherPool);
      subscription = subscribe({
        name: SUBSCRIPTION,
        channel: 'order.email',
        concurrency: BATCH ? undefined : CONCURRENCY,
        handler: async ({ n }) => {
          const sent = await postmark.client.sendEmail(orderEmail(n));
          recorder.accept(n);
          return { messageId: sent.MessageID, submittedAt: sent.SubmittedAt, to: sent.To };
        },
        batch: BATCH
          ? {
              size: BATCH_SIZE,
              handler: async (items) => {
                const answers = await postmark.client.sendEmailBatch(
                  items.map(({ payload }) => orderEmail(payload.n)),
                );
                return answers.map((sent, i) => {
                  recorder.accept(items[i]!.payload.n);
                  return {
                    result: { messageId: sent.MessageID, submittedAt: sent.SubmittedAt, to: sent.To },
                  };
                });
              },
            }
          : undefined,
      });
      await syncSubscriptions(database, [subscription], 30_000);
    },
    async startWorker() {
      worker = new Worker({
        pool: workerPool!,
        url,
        channels,
        subscriptions: [subscription!],
        log: silentLog,
      });
      await worker.start();
    },
    async publish(n) {
      await publish(database!, 'order.email', { n });
    },
    async stop() {
      await worker?.stop();
      await workerPool?.end();
      await publisherPool?.end();
    },
  };
}

const quietGraphile = new GraphileLogger(() => () => {});

/** Our own pool, ended on stop (see bench/engine.ts: graphile's can outlive the database drop). */
function quietPool(url: string, max: number): pg.Pool {
  return new pg.Pool({ connectionString: url, max })
    .on('error', () => {})
    .on('connect', (client) => client.on('error', () => {}));
}

function graphile(): System {
  let url = '';
  let utils: Awaited<ReturnType<typeof makeWorkerUtils>> | undefined;
  let runner: Runner | undefined;
  let pool: pg.Pool | undefined;
  let utilsPool: pg.Pool | undefined;
  let recorder: Recorder | undefined;
  let postmark: PostmarkStandIn | undefined;
  return {
    name: 'graphile-worker',
    schema: 'graphile_worker',
    queueTable: '_private_jobs',
    // get_jobs (graphile-worker 0.17, sql/000011.sql): available jobs by priority, run_at, id.
    claimIndex: 'jobs_main_index',
    // graphile-worker deletes a job when it succeeds: what is left is queued (or failed).
    queuedSql: 'SELECT count(*)::int AS n FROM graphile_worker._private_jobs',
    async setup(dbUrl, rec, pm) {
      url = dbUrl;
      recorder = rec;
      postmark = pm;
      utilsPool = quietPool(url, MAX_IN_FLIGHT);
      utils = await makeWorkerUtils({ pgPool: utilsPool, logger: quietGraphile });
      await utils.migrate();
    },
    async startWorker() {
      pool = quietPool(url, GRAPHILE_CONCURRENCY + 2);
      runner = await runGraphile({
        pgPool: pool,
        concurrency: GRAPHILE_CONCURRENCY,
        // graphile-worker 0.17's local queue with batched completion, as in bench:email.
        preset:
          GRAPHILE_LOCAL_QUEUE > 0
            ? {
                worker: {
                  localQueue: { size: GRAPHILE_LOCAL_QUEUE },
                  completeJobBatchDelay: 0,
                  failJobBatchDelay: 0,
                },
              }
            : undefined,
        noHandleSignals: true,
        logger: quietGraphile,
        taskList: {
          email: async (payload) => {
            const n = (payload as { n: number }).n;
            await postmark!.client.sendEmail(orderEmail(n));
            recorder!.accept(n);
          },
        },
      });
    },
    async publish(n) {
      await utils!.addJob('email', { n });
    },
    async stop() {
      await runner?.stop();
      await utils?.release();
      await pool?.end();
      await utilsPool?.end();
    },
  };
}

// --------------------------------------------------------------------------------- observations

interface TableStats {
  deadTuples: number;
  /** The queue table alone. */
  queueDead: number;
  updates: number;
  hotUpdates: number;
  /** Sequential scans of the queue table and the rows they read (cumulative): a plan without the index. */
  seqScans: number;
  seqRead: number;
  /** Per index of the queue table: scans and entries read (cumulative). */
  indexes: Map<string, { scans: number; read: number; bytes: number }>;
  /** Age in transactions of the oldest snapshot in this database (the held one, during the hold). */
  oldestXminAge: number;
}

async function tableStats(client: pg.Client, system: System): Promise<TableStats> {
  const tables = await client.query<{
    relname: string;
    dead: string;
    upd: string;
    hot: string;
    seq: string;
    seqread: string;
  }>(
    `SELECT relname, n_dead_tup AS dead, n_tup_upd AS upd, n_tup_hot_upd AS hot,
            seq_scan AS seq, seq_tup_read AS seqread
     FROM pg_stat_user_tables WHERE schemaname = $1`,
    [system.schema],
  );
  const indexes = await client.query<{ name: string; scans: string; read: string; bytes: string }>(
    `SELECT indexrelname AS name, idx_scan AS scans, idx_tup_read AS read,
            pg_relation_size(indexrelid) AS bytes
     FROM pg_stat_user_indexes WHERE schemaname = $1 AND relname = $2`,
    [system.schema, system.queueTable],
  );
  const xmin = await client.query<{ age: number | null }>(
    `SELECT max(age(backend_xmin))::int AS age FROM pg_stat_activity WHERE datname = current_database()`,
  );
  const queue = tables.rows.find((t) => t.relname === system.queueTable);
  return {
    deadTuples: tables.rows.reduce((a, t) => a + Number(t.dead), 0),
    queueDead: Number(queue?.dead ?? 0),
    updates: Number(queue?.upd ?? 0),
    hotUpdates: Number(queue?.hot ?? 0),
    seqScans: Number(queue?.seq ?? 0),
    seqRead: Number(queue?.seqread ?? 0),
    indexes: new Map(
      indexes.rows.map((i) => [
        i.name,
        { scans: Number(i.scans), read: Number(i.read), bytes: Number(i.bytes) },
      ]),
    ),
    oldestXminAge: xmin.rows[0]?.age ?? 0,
  };
}

/** Runs the claim's EXPLAIN in a transaction it rolls back; returns the plan's lines. */
async function explain(client: pg.Client, statements: string[]): Promise<string[]> {
  await client.query('BEGIN');
  try {
    let plan: string[] = [];
    for (const s of statements) {
      const r = await client.query<{ 'QUERY PLAN': string }>(s);
      if (s.trimStart().startsWith('EXPLAIN')) plan = r.rows.map((row) => row['QUERY PLAN']);
    }
    return plan;
  } finally {
    await client.query('ROLLBACK');
  }
}

// ------------------------------------------------------------------------------------------ run

type Phase = 'before' | 'hold' | 'after';

interface Interval {
  phase: Phase;
  /** 1-based within the phase. */
  index: number;
  from: number;
  to: number;
}

interface IntervalResult {
  phase: Phase;
  index: number;
  seconds: number;
  published: number;
  accepted: number;
  p50: number;
  p99: number;
  max: number;
  deadTuples: number;
  queueDead: number;
  oldestXminAge: number;
  /** The claim index: entries read per index scan in this interval, and its size at the end. */
  entriesPerScan: number;
  indexMb: number;
  /** Every index of the queue table: entries read per scan in this interval. */
  perIndex: Record<string, number>;
  /** Sequential scans of the queue table in this interval, and rows read per scan. */
  seqScans: number;
  seqRowsPerScan: number;
  hotPercent: number;
}

interface RunResult {
  system: string;
  rate: number;
  intervals: IntervalResult[];
  duplicates: number;
  /** Published, not accepted by the end, and no longer queued: lost. */
  lost: number;
  /** Published, not accepted by the end of the drain wait, still queued: late, not lost. */
  stillQueued: number;
  plans: { before?: string[]; endOfHold?: string[] };
  error?: string;
}

function intervals(): Interval[] {
  const out: Interval[] = [];
  let t = 0;
  for (const [phase, seconds] of [
    ['before', BEFORE_S],
    ['hold', HOLD_S],
    ['after', AFTER_S],
  ] as const) {
    const n = Math.max(1, Math.round(seconds / INTERVAL_S));
    for (let i = 0; i < n; i++) {
      out.push({ phase, index: i + 1, from: t + (seconds * i) / n, to: t + (seconds * (i + 1)) / n });
    }
    t += seconds;
  }
  return out;
}

async function measure(server: Server, system: System, rate: number, suffix: string): Promise<RunResult> {
  const result: RunResult = {
    system: system.name,
    rate,
    intervals: [],
    duplicates: 0,
    lost: 0,
    stillQueued: 0,
    plans: {},
  };
  const url = await server.createDatabase(suffix);
  const total = WARMUP_S + BEFORE_S + HOLD_S + AFTER_S;
  const recorder = new Recorder(Math.ceil(total * rate) + 1);
  const postmark = await startPostmarkStandIn();
  const observer = new pg.Client({ connectionString: url, application_name: 'herald-bench-observer' });
  const holder = new pg.Client({ connectionString: url, application_name: 'herald-bench-snapshot-holder' });
  observer.on('error', () => {});
  holder.on('error', () => {});
  let publishing = true;
  let launched = 0;
  let publishErrors = 0;
  let streamDone: Promise<void> = Promise.resolve();
  try {
    await system.setup(url, recorder, postmark);
    await observer.connect();
    await holder.connect();
    await system.startWorker();

    // The stream: publish number n at start + n / rate, at most MAX_IN_FLIGHT at once.
    const start = performance.now();
    let inFlight = 0;
    streamDone = (async () => {
      while (publishing) {
        const due = Math.floor(((performance.now() - start) * rate) / 1000);
        while (launched < due && inFlight < MAX_IN_FLIGHT && launched < recorder.published.length) {
          const n = launched++;
          inFlight++;
          recorder.published[n] = performance.now();
          system
            .publish(n)
            .catch(() => {
              publishErrors++;
              recorder.published[n] = Number.NaN;
            })
            .finally(() => {
              inFlight--;
            });
        }
        await sleep(1);
      }
      while (inFlight > 0) await sleep(5);
    })();

    const at = (seconds: number) => start + (WARMUP_S + seconds) * 1000;
    const waitFor = async (seconds: number) => {
      const wait = at(seconds) - performance.now();
      if (wait > 0) await sleep(wait);
    };
    await waitFor(0);
    let previous = await tableStats(observer, system);
    const samples: { interval: Interval; stats: TableStats; previous: TableStats }[] = [];
    for (const interval of intervals()) {
      if (interval.phase === 'hold' && interval.index === 1) {
        if (system.explainClaim) result.plans.before = await explain(observer, system.explainClaim);
        await holder.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
        await holder.query('SELECT 1');
      }
      if (interval.phase === 'after' && interval.index === 1) {
        if (system.explainClaim) result.plans.endOfHold = await explain(observer, system.explainClaim);
        await holder.query('ROLLBACK');
      }
      await waitFor(interval.to);
      const stats = await tableStats(observer, system);
      samples.push({ interval, stats, previous });
      previous = stats;
      const last = summarise(
        interval,
        stats,
        samples.at(-1)!.previous,
        recorder,
        start,
        false,
        system.claimIndex,
      );
      process.stdout.write(
        `    ${interval.phase} ${interval.index}: dead ${fmt(last.deadTuples)}, ` +
          `${fmt(last.entriesPerScan, 1)} entries/scan of ${system.claimIndex}\n`,
      );
    }
    publishing = false;
    await streamDone;
    const published = recorder.published.filter((t) => !Number.isNaN(t)).length;
    const deadline = performance.now() + DRAIN_TIMEOUT_MS;
    while (recorder.acceptedCount < published && performance.now() < deadline) await sleep(20);
    await sleep(500); // late duplicates would arrive now
    result.intervals = samples.map((s) =>
      summarise(s.interval, s.stats, s.previous, recorder, start, true, system.claimIndex),
    );
    result.duplicates = recorder.duplicates;
    const queued = await observer.query<{ n: number }>(system.queuedSql);
    result.stillQueued = queued.rows[0]?.n ?? 0;
    result.lost = Math.max(0, published - recorder.acceptedCount - result.stillQueued);
    if (publishErrors > 0) result.error = `${publishErrors} publishes failed`;
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
  } finally {
    publishing = false;
    await streamDone.catch(() => {});
    await holder.end().catch(() => {});
    await observer.end().catch(() => {});
    await system.stop().catch((error: unknown) => {
      result.error ??= `stop failed: ${error instanceof Error ? error.message : String(error)}`;
    });
    await postmark.close();
    await server.dropDatabase(url).catch(() => {});
  }
  return result;
}

/** One interval's figures: emails published in it, their latency, and what the tables did. */
function summarise(
  interval: Interval,
  stats: TableStats,
  previous: TableStats,
  recorder: Recorder,
  start: number,
  final: boolean,
  claimIndex: string,
): IntervalResult {
  const from = start + (WARMUP_S + interval.from) * 1000;
  const to = start + (WARMUP_S + interval.to) * 1000;
  const latencies: number[] = [];
  let published = 0;
  if (final) {
    for (let n = 0; n < recorder.published.length; n++) {
      const p = recorder.published[n]!;
      if (Number.isNaN(p) || p < from || p >= to) continue;
      published++;
      const a = recorder.accepted[n]!;
      if (!Number.isNaN(a)) latencies.push(a - p);
    }
    latencies.sort((a, b) => a - b);
  }
  const perIndex: Record<string, number> = {};
  for (const [name, now] of stats.indexes) {
    const before = previous.indexes.get(name) ?? { scans: 0, read: 0, bytes: 0 };
    const scans = now.scans - before.scans;
    perIndex[name] = scans > 0 ? round((now.read - before.read) / scans, 1) : Number.NaN;
  }
  const updates = stats.updates - previous.updates;
  return {
    phase: interval.phase,
    index: interval.index,
    seconds: interval.to - interval.from,
    published,
    accepted: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? Number.NaN,
    deadTuples: stats.deadTuples,
    queueDead: stats.queueDead,
    oldestXminAge: stats.oldestXminAge,
    entriesPerScan: perIndex[claimIndex] ?? Number.NaN,
    indexMb: (stats.indexes.get(claimIndex)?.bytes ?? Number.NaN) / 2 ** 20,
    perIndex,
    seqScans: stats.seqScans - previous.seqScans,
    seqRowsPerScan:
      stats.seqScans > previous.seqScans
        ? (stats.seqRead - previous.seqRead) / (stats.seqScans - previous.seqScans)
        : Number.NaN,
    hotPercent: updates > 0 ? ((stats.hotUpdates - previous.hotUpdates) / updates) * 100 : Number.NaN,
  };
}

/** p99 in the hold's last interval ÷ p99 in the last interval before it (the issue's target: ≤ 1.5). */
function holdGrowth(r: RunResult): number {
  const before = r.intervals.filter((i) => i.phase === 'before').at(-1);
  const end = r.intervals.filter((i) => i.phase === 'hold').at(-1);
  return before && end && before.p99 > 0 ? end.p99 / before.p99 : Number.NaN;
}

function loadAverage(): string {
  return `${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} on ${os.cpus().length} cores`;
}

async function main() {
  const started = Date.now();
  const server = await openServer();
  const results: RunResult[] = [];
  // Off on the reference server (docs/BENCHMARKS.md): then only Herald's own drain VACUUM
  // (worker/drain-vacuum.ts) removes dead rows after the hold, and nothing removes graphile's.
  const [settings] = await adminQuery<{ autovacuum: string }>(
    server.url,
    "SELECT current_setting('autovacuum') AS autovacuum",
  );
  const autovacuum = settings?.autovacuum ?? '?';
  const claimIndexes = new Map<string, string>();
  try {
    console.log(
      `bench:horizon on PostgreSQL ${server.version} (${server.label}); rates ${RATES.join(', ')}/s; ` +
        `${BEFORE_S} s before, ${HOLD_S} s held snapshot, ${AFTER_S} s after, ${INTERVAL_S} s intervals; ` +
        `${BATCH ? `herald batched (${BATCH_SIZE} per request)` : `herald concurrency ${CONCURRENCY}`}; ` +
        `graphile-worker concurrency ${GRAPHILE_CONCURRENCY}${GRAPHILE_LOCAL_QUEUE > 0 ? `, localQueue ${GRAPHILE_LOCAL_QUEUE}` : ''}; autovacuum ${autovacuum}; load average ${loadAverage()}\n`,
    );
    const all: [() => System, string][] = [
      [herald, 'herald'],
      [graphile, 'graphile'],
    ];
    const systems = all.filter(([, key]) => ONLY === undefined || ONLY.split(',').includes(key));
    for (const rate of RATES) {
      for (const [make, key] of systems) {
        const system = make();
        claimIndexes.set(system.name, system.claimIndex);
        console.log(`  ${system.name} at ${rate}/s …`);
        const r = await measure(server, system, rate, `${key}_${rate}`);
        results.push(r);
        console.log(
          r.error
            ? `  FAILED: ${r.error}`
            : `  p99 end of hold ÷ before ×${fmt(holdGrowth(r), 2)}; ${r.lost} lost, ${r.stillQueued} still queued ${DRAIN_TIMEOUT_MS / 1000} s after the stream, ${r.duplicates} duplicates`,
        );
      }
    }
  } finally {
    await server.close();
  }

  console.log(
    `\nclaim index: ${[...claimIndexes].map(([system, index]) => `${system} ${index}`).join(', ')}; ` +
      "dead tuples: n_dead_tup summed over the schema; HOT: share of the queue table's updates",
  );
  console.log(`\n${server.label} PostgreSQL ${server.version}; load average at the end ${loadAverage()}\n`);
  console.log(
    table(
      [
        'system',
        'rate/s',
        'interval',
        'sent',
        'p50 ms',
        'p99 ms',
        'max ms',
        'dead tuples',
        'snapshot age (xids)',
        'claim index entries read/scan',
        'index MB',
        'HOT upd %',
      ],
      results.flatMap((r) =>
        r.intervals.map((i) => [
          r.error ? `${r.system} (FAILED: ${r.error})` : r.system,
          String(r.rate),
          `${i.phase} ${i.index}`,
          fmt(i.published),
          fmt(i.p50, 1),
          fmt(i.p99, 1),
          fmt(i.max, 1),
          fmt(i.deadTuples),
          fmt(i.oldestXminAge),
          fmt(i.entriesPerScan, 1),
          fmt(i.indexMb, 1),
          fmt(i.hotPercent, 0),
        ]),
      ),
    ),
  );
  for (const r of results) {
    for (const [when, plan] of Object.entries(r.plans)) {
      console.log(`\n${r.system} at ${r.rate}/s, claim row search, ${when}:\n${(plan ?? []).join('\n')}`);
    }
  }
  const growth = results.map((r) => ({ system: r.system, rate: r.rate, p99Growth: round(holdGrowth(r), 2) }));
  console.log('');
  for (const g of growth)
    console.log(`${g.system} at ${g.rate}/s: p99 at the end of the hold ÷ before ×${g.p99Growth}`);
  const targets = RATES.map((rate) => {
    const h = growth.find((g) => g.rate === rate && g.system === 'herald')?.p99Growth ?? Number.NaN;
    const gw = growth.find((g) => g.rate === rate && g.system === 'graphile-worker')?.p99Growth ?? Number.NaN;
    return { rate, heraldP99GrowthAtMost1_5: h <= 1.5, heraldNoWorseThanGraphile: h <= gw };
  });
  console.log(
    JSON.stringify({
      benchmark: 'horizon',
      server: server.label,
      postgres: server.version,
      rates: RATES,
      beforeS: BEFORE_S,
      holdS: HOLD_S,
      afterS: AFTER_S,
      intervalS: INTERVAL_S,
      concurrency: CONCURRENCY,
      heraldBatch: BATCH ? BATCH_SIZE : null,
      graphileConcurrency: GRAPHILE_CONCURRENCY,
      graphileLocalQueue: GRAPHILE_LOCAL_QUEUE,
      autovacuum,
      handler: 'official postmark client → local stand-in, one email per delivery/job',
      seconds: round((Date.now() - started) / 1000, 1),
      cores: os.cpus().length,
      loadAverage: os.loadavg().map((l) => round(l)),
      results: results.map((r) => ({
        system: r.system,
        rate: r.rate,
        lost: r.lost,
        stillQueued: r.stillQueued,
        duplicates: r.duplicates,
        intervals: r.intervals.map((i) => ({
          phase: i.phase,
          index: i.index,
          sent: i.published,
          p50: round(i.p50, 1),
          p99: round(i.p99, 1),
          max: round(i.max, 1),
          deadTuples: i.deadTuples,
          queueDead: i.queueDead,
          snapshotAge: i.oldestXminAge,
          claimIndexEntriesPerScan: round(i.entriesPerScan, 1),
          claimIndexMb: round(i.indexMb, 1),
          entriesPerScanByIndex: i.perIndex,
          seqScans: i.seqScans,
          seqRowsPerScan: round(i.seqRowsPerScan, 1),
          hotPercent: round(i.hotPercent, 0),
        })),
        ...(r.error ? { error: r.error } : {}),
      })),
      growth,
      targets,
    }),
  );
  if (results.some((r) => r.error || r.lost > 0)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
