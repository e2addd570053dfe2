/**
 * `npm run bench:engine [-- --jobs 20000 --latency-jobs 500 --rounds 3 --prefetch 500,0]`
 *
 * Herald against graphile-worker (defaults, and local queue + batched completion) and pg-boss,
 * in one run, on one PostgreSQL server (DATABASE_URL, else an embedded one), each system in a
 * fresh database of its own. Method (docs/BENCHMARKS.md, `bench:engine`): N jobs inserted in bulk, then drained
 * by one worker with a no-op handler at concurrency 10, throughput = N / (last handler start −
 * first handler start); then 500 jobs added one at a time 4 ms apart into the idle, running
 * worker, latency = handler start − just before the add call. The last line of output is one
 * JSON object with every figure and ratio.
 */

import os from 'node:os';
import { Logger as GraphileLogger, makeWorkerUtils, type Runner, run as runGraphile } from 'graphile-worker';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { z } from 'zod';
import { defineChannels } from '../lib/channels/registry';
import { createDb, createPool } from '../lib/db/client';
import { migrateDatabase } from '../lib/db/migrate';
import { createPublisher } from '../lib/publish';
import { subscriptionsFor } from '../lib/subscriptions/define';
import { syncSubscriptions } from '../lib/subscriptions/sync';
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
  serverCpuMicros,
  silentLog,
  sleep,
  table,
  waitUntil,
} from './common';

const JOBS = Math.floor(numberFlag('jobs', 20_000));
const LATENCY_JOBS = Math.floor(numberFlag('latency-jobs', 500));
const LATENCY_GAP_MS = numberFlag('latency-gap-ms', 4);
const CONCURRENCY = 10;
const INSERT_BATCH = 1_000;
/** A system that has not drained in this long fails its row instead of hanging the run. */
/**
 * `--rounds N`: measure every system N times, alternating, and report medians. Three by default:
 * a 20,000-job drain lasts about a second, and one round alone moved the ratio by ±20 % between
 * runs here (docs/BENCHMARKS.md).
 */
const ROUNDS = Math.max(1, Math.floor(numberFlag('rounds', 3)));
const DRAIN_TIMEOUT_MS = numberFlag('drain-timeout-s', 120) * 1000;
/**
 * Herald's prefetch: deliveries claimed beyond the concurrency, so handlers never wait for a
 * claim round trip. 500 matches graphile's `localQueue.size` in its batched configuration (the
 * fair comparison); the first value listed is the one the ratios use, any others are extra rows.
 */
const PREFETCHES = (flag('prefetch') ?? '500')
  .split(',')
  .map((v) => Number.parseInt(v.trim(), 10))
  .filter((v) => Number.isInteger(v) && v >= 0);
/** `--only herald,graphile_batched`: a subset, for profiling (ratios need herald and the peers). */
const ONLY = flag('only')
  ?.split(',')
  .map((v) => v.trim())
  .filter(Boolean);
if (PREFETCHES.length === 0) throw new Error('--prefetch takes a comma-separated list of integers ≥ 0');

/** Handler start times by job number: throughput jobs are 0…N−1, latency jobs N…N+L−1. */
class Recorder {
  readonly starts: Float64Array;
  duplicates = 0;
  private counted = 0;

  constructor(size: number) {
    this.starts = new Float64Array(size).fill(Number.NaN);
  }

  hit(n: unknown) {
    const at = performance.now();
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n >= this.starts.length) return;
    if (Number.isNaN(this.starts[n]!)) {
      this.starts[n] = at;
      this.counted++;
    } else {
      this.duplicates++;
    }
  }

  get count() {
    return this.counted;
  }
}

interface System {
  name: string;
  /** Creates its schema in the fresh database at `url`. */
  setup(url: string, recorder: Recorder): Promise<void>;
  /** Inserts jobs `from`…`to−1` in bulk (the worker is not running yet). */
  insertBulk(from: number, to: number): Promise<void>;
  startWorker(): Promise<void>;
  /** Adds one job, as an application would. */
  add(n: number): Promise<void>;
  stop(): Promise<void>;
}

function ranges(from: number, to: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let a = from; a < to; a += size) out.push([a, Math.min(to, a + size)]);
  return out;
}

const numbers = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

function jobNumber(payload: unknown): unknown {
  return payload !== null && typeof payload === 'object' && 'n' in payload ? payload.n : undefined;
}

// ---------------------------------------------------------------------------------------- Herald

const benchChannels = defineChannels({ 'bench.noop': z.object({ n: z.number().int().nonnegative() }) });
const { publish, publishMany } = createPublisher(benchChannels);
const subscribe = subscriptionsFor(benchChannels);

function herald(prefetch: number): System {
  let workerPool: pg.Pool | undefined;
  let publisherPool: pg.Pool | undefined;
  let worker: Worker | undefined;
  let url = '';
  let recorder: Recorder | undefined;
  // One Drizzle instance, as an application holds: building one per call costs ~0.15 ms, which
  // would land in every latency sample.
  let database: ReturnType<typeof createDb> | undefined;
  const db = () => {
    database ??= createDb(publisherPool!);
    return database;
  };
  return {
    name: `herald (prefetch ${prefetch})`,
    async setup(dbUrl, rec) {
      url = dbUrl;
      recorder = rec;
      await migrateDatabase(url);
      workerPool = createPool(url, { max: 10, applicationName: 'herald-bench-worker' });
      publisherPool = createPool(url, { max: 4, applicationName: 'herald-bench-publisher' });
      database = undefined;
      await syncSubscriptions(db(), [subscription()], 30_000);
    },
    async insertBulk(from, to) {
      const d = db();
      for (const [a, b] of ranges(from, to, INSERT_BATCH)) {
        await publishMany(
          d,
          numbers(a, b).map((n) => ({ channel: 'bench.noop' as const, payload: { n } })),
        );
      }
    },
    async startWorker() {
      worker = new Worker({
        pool: workerPool!,
        url,
        channels: benchChannels,
        subscriptions: [subscription()],
        log: silentLog,
        prefetch,
      });
      await worker.start();
    },
    async add(n) {
      await publish(db(), 'bench.noop', { n });
    },
    async stop() {
      await worker?.stop();
      await workerPool?.end();
      await publisherPool?.end();
    },
  };

  function subscription() {
    return subscribe({
      name: 'bench-noop',
      channel: 'bench.noop',
      concurrency: CONCURRENCY,
      handler: async (payload) => {
        recorder!.hit(payload.n);
      },
    });
  }
}

// ------------------------------------------------------------------------------ graphile-worker

const quietGraphile = new GraphileLogger(() => () => {});

function graphile(name: string, batched: boolean): System {
  let url = '';
  let recorder: Recorder | undefined;
  let utils: Awaited<ReturnType<typeof makeWorkerUtils>> | undefined;
  let runner: Runner | undefined;
  let pool: pg.Pool | undefined;
  let utilsPool: pg.Pool | undefined;
  return {
    name,
    async setup(dbUrl, rec) {
      url = dbUrl;
      recorder = rec;
      utilsPool = quietPool(url, 4);
      utils = await makeWorkerUtils({ pgPool: utilsPool, logger: quietGraphile });
      await utils.migrate();
    },
    async insertBulk(from, to) {
      for (const [a, b] of ranges(from, to, INSERT_BATCH)) {
        await utils!.addJobs(numbers(a, b).map((n) => ({ identifier: 'noop', payload: { n } })));
      }
    },
    async startWorker() {
      pool = quietPool(url, CONCURRENCY + 2);
      runner = await runGraphile({
        pgPool: pool,
        concurrency: CONCURRENCY,
        noHandleSignals: true,
        logger: quietGraphile,
        taskList: {
          noop: async (payload) => {
            recorder!.hit(jobNumber(payload));
          },
        },
        // The configuration graphile documents for its own performance figures
        // (website/docs/performance.md), at our concurrency of 10.
        preset: batched
          ? { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } }
          : undefined,
      });
    },
    async add(n) {
      await utils!.addJob('noop', { n });
    },
    async stop() {
      await runner?.stop();
      await utils?.release();
      await pool?.end();
      await utilsPool?.end();
    },
  };
}

/**
 * Our own pools for graphile-worker, ended on stop: its internal ones can outlive runner.stop()
 * and utils.release(), and the database drop after each measurement then kills their idle
 * connections, which a pool without an error listener turns into a crash of the whole run.
 */
function quietPool(url: string, max: number): pg.Pool {
  return new pg.Pool({ connectionString: url, max })
    .on('error', () => {})
    .on('connect', (client) => client.on('error', () => {}));
}

// --------------------------------------------------------------------------------------- pg-boss

function pgBoss(): System {
  let boss: PgBoss | undefined;
  let recorder: Recorder | undefined;
  let stopped = false;
  return {
    name: 'pg-boss (batch 50, poll 0.5 s)',
    async setup(url, rec) {
      recorder = rec;
      boss = new PgBoss({ connectionString: url, schedule: false });
      // Dropping the database after stop() ends connections pg-boss still holds: not news.
      boss.on('error', (error) => {
        if (!stopped) console.error(`pg-boss: ${error.message}`);
      });
      await boss.start();
      await boss.createQueue('noop');
    },
    async insertBulk(from, to) {
      for (const [a, b] of ranges(from, to, INSERT_BATCH)) {
        await boss!.insert(numbers(a, b).map((n) => ({ name: 'noop', data: { n } })));
      }
    },
    async startWorker() {
      // pg-boss 10 has no per-worker concurrency: each work() call is one polling loop that
      // runs one batch at a time, so concurrency 10 is ten of them.
      for (let i = 0; i < CONCURRENCY; i++) {
        await boss!.work<{ n: number }>(
          'noop',
          { batchSize: 50, pollingIntervalSeconds: 0.5 },
          async (jobs) => {
            for (const job of jobs) recorder!.hit(job.data.n);
          },
        );
      }
    },
    async add(n) {
      await boss!.send('noop', { n });
    },
    async stop() {
      stopped = true;
      await boss?.stop({ graceful: true, wait: true, timeout: 10_000 });
    },
  };
}

// ----------------------------------------------------------------------------------------- run

interface Result {
  system: string;
  insertPerSec: number;
  throughput: number;
  drained: number;
  latencyP50: number;
  latencyP95: number;
  latencyP99: number;
  latencyMax: number;
  latencyDone: number;
  /** p50 of the add call alone (publish, addJob, send): the part of the latency before pick-up. */
  addP50: number;
  duplicates: number;
  /** Peak resident memory of this process while the system drained (MB). */
  peakRssMb: number;
  /**
   * What a drained job cost, from the worker's start to a second after the last handler started
   * (so outcomes are recorded): WAL the server wrote (server-wide, bytes), and CPU of this
   * process, where every system's worker runs (µs). The throughput's why, in portable units.
   */
  walBytesPerJob: number;
  clientCpuUsPerJob: number;
  serverCpuUsPerJob: number;
  error?: string;
}

function emptyResult(system: string): Result {
  return {
    system,
    insertPerSec: Number.NaN,
    throughput: Number.NaN,
    drained: 0,
    latencyP50: Number.NaN,
    latencyP95: Number.NaN,
    latencyP99: Number.NaN,
    latencyMax: Number.NaN,
    latencyDone: 0,
    addP50: Number.NaN,
    duplicates: 0,
    peakRssMb: Number.NaN,
    walBytesPerJob: Number.NaN,
    clientCpuUsPerJob: Number.NaN,
    serverCpuUsPerJob: Number.NaN,
  };
}

/**
 * The server's WAL position now, and later the bytes written since, each on a short connection
 * so a failed drain leaves nothing open. A server that cannot say (a standby) gives NaN.
 */
async function walPosition(url: string): Promise<string | undefined> {
  const rows = await adminQuery<{ lsn: string }>(url, 'SELECT pg_current_wal_lsn()::text AS lsn').catch(
    () => [],
  );
  return rows[0]?.lsn;
}

async function walBytesSince(url: string, from: string | undefined): Promise<number> {
  if (from === undefined) return Number.NaN;
  const rows = await adminQuery<{ bytes: number }>(
    url,
    'SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::float8 AS bytes',
    [from],
  ).catch(() => []);
  return rows[0]?.bytes ?? Number.NaN;
}

async function measure(server: Server, system: System, suffix: string): Promise<Result> {
  const result = emptyResult(system.name);
  const url = await server.createDatabase(suffix);
  const recorder = new Recorder(JOBS + LATENCY_JOBS);
  try {
    await system.setup(url, recorder);

    const t0 = performance.now();
    await system.insertBulk(0, JOBS);
    result.insertPerSec = (JOBS / (performance.now() - t0)) * 1000;

    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 100);
    const walFrom = await walPosition(server.url);
    const cpuFrom = process.cpuUsage();
    const serverCpuFrom = serverCpuMicros();
    await system.startWorker();
    const drained = await waitUntil(() => recorder.count >= JOBS, DRAIN_TIMEOUT_MS);
    clearInterval(sampler);
    result.peakRssMb = peakRss / 2 ** 20;
    const starts = Array.from(recorder.starts.subarray(0, JOBS)).filter((t) => !Number.isNaN(t));
    result.drained = starts.length;
    if (starts.length > 1) {
      // A loop, not Math.min(...starts): spreading 500,000 arguments overflows the stack.
      let first = Number.POSITIVE_INFINITY;
      let last = Number.NEGATIVE_INFINITY;
      for (const t of starts) {
        if (t < first) first = t;
        if (t > last) last = t;
      }
      result.throughput = (starts.length / (last - first)) * 1000;
    }
    if (!drained) throw new Error(`drained only ${starts.length} of ${JOBS} jobs`);

    // Let the worker record its last outcomes and settle into its idle state (listening,
    // waiting flag set) before the latency jobs.
    await sleep(1_000);
    const cpu = process.cpuUsage(cpuFrom);
    result.clientCpuUsPerJob = (cpu.user + cpu.system) / JOBS;
    result.serverCpuUsPerJob = (serverCpuMicros() - serverCpuFrom) / JOBS;
    result.walBytesPerJob = (await walBytesSince(server.url, walFrom)) / JOBS;
    const added = new Float64Array(LATENCY_JOBS);
    const addTook: number[] = [];
    const base = performance.now();
    for (let i = 0; i < LATENCY_JOBS; i++) {
      const due = base + i * LATENCY_GAP_MS;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      added[i] = performance.now();
      await system.add(JOBS + i);
      addTook.push(performance.now() - added[i]!);
    }
    await waitUntil(() => recorder.count >= JOBS + LATENCY_JOBS, 30_000);
    const latencies: number[] = [];
    for (let i = 0; i < LATENCY_JOBS; i++) {
      const started = recorder.starts[JOBS + i]!;
      if (!Number.isNaN(started)) latencies.push(started - added[i]!);
    }
    latencies.sort((a, b) => a - b);
    result.latencyDone = latencies.length;
    result.addP50 = median(addTook);
    result.latencyP50 = percentile(latencies, 50);
    result.latencyP95 = percentile(latencies, 95);
    result.latencyP99 = percentile(latencies, 99);
    result.latencyMax = latencies.at(-1) ?? Number.NaN;
    // Late duplicates (a job run twice) would show up while the worker idles.
    await sleep(200);
    result.duplicates = recorder.duplicates;
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
  } finally {
    await system.stop().catch((error: unknown) => {
      result.error ??= `stop failed: ${error instanceof Error ? error.message : String(error)}`;
    });
    await server.dropDatabase(url).catch(() => {});
  }
  return result;
}

/** Other work on the machine skews absolute figures; the load average says how much there was. */
function loadAverage(): string {
  return `${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} on ${os.cpus().length} cores`;
}

function ratio(a: number, b: number): number {
  return b > 0 && Number.isFinite(a) && Number.isFinite(b) ? round(a / b, 3) : Number.NaN;
}

const median = (xs: number[]) => {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return v.length === 0 ? Number.NaN : v[Math.floor(v.length / 2)]!;
};

/** One system's rounds as one result: the median of each figure, duplicates summed, the peak memory. */
function medianResult(rs: Result[]): Result {
  if (rs.length === 1) return rs[0]!;
  const errors = rs.flatMap((r) => (r.error ? [r.error] : []));
  return {
    system: rs[0]!.system,
    insertPerSec: median(rs.map((r) => r.insertPerSec)),
    throughput: median(rs.map((r) => r.throughput)),
    drained: Math.min(...rs.map((r) => r.drained)),
    latencyP50: median(rs.map((r) => r.latencyP50)),
    latencyP95: median(rs.map((r) => r.latencyP95)),
    latencyP99: median(rs.map((r) => r.latencyP99)),
    latencyMax: median(rs.map((r) => r.latencyMax)),
    latencyDone: Math.min(...rs.map((r) => r.latencyDone)),
    addP50: median(rs.map((r) => r.addP50)),
    duplicates: rs.reduce((a, r) => a + r.duplicates, 0),
    peakRssMb: Math.max(...rs.map((r) => (Number.isFinite(r.peakRssMb) ? r.peakRssMb : 0))),
    walBytesPerJob: median(rs.map((r) => r.walBytesPerJob)),
    clientCpuUsPerJob: median(rs.map((r) => r.clientCpuUsPerJob)),
    serverCpuUsPerJob: median(rs.map((r) => r.serverCpuUsPerJob)),
    ...(errors.length ? { error: errors.join('; ') } : {}),
  };
}

async function main() {
  const started = Date.now();
  const server = await openServer();
  const rounds: Result[] = [];
  try {
    console.log(
      `bench:engine on PostgreSQL ${server.version} (${server.label}); ${fmt(JOBS)} jobs, concurrency ${CONCURRENCY}, ` +
        `${LATENCY_JOBS} latency jobs ${LATENCY_GAP_MS} ms apart, ${ROUNDS} round(s); load average ${loadAverage()}\n`,
    );
    const all: [System, string][] = [
      ...PREFETCHES.map((p): [System, string] => [herald(p), `herald_p${p}`]),
      [graphile('graphile-worker (defaults)', false), 'graphile_default'],
      [graphile('graphile-worker (localQueue 500, batched completion)', true), 'graphile_batched'],
      [pgBoss(), 'pgboss'],
    ];
    const systems = all.filter(([, key]) => ONLY === undefined || ONLY.some((o) => key.startsWith(o)));
    // Rounds alternate the systems, so a slow spell of a shared machine hits each of them alike;
    // each figure below is the median over the rounds.
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [system, suffix] of systems) {
        process.stdout.write(`  ${ROUNDS > 1 ? `round ${round} ` : ''}${system.name} … `);
        const r = await measure(server, system, `${suffix}_r${round}`);
        rounds.push(r);
        console.log(
          r.error
            ? `FAILED: ${r.error}`
            : `${fmt(r.throughput)} jobs/s, p50 ${fmt(r.latencyP50, 2)} ms, p99 ${fmt(r.latencyP99, 2)} ms, add ${fmt(r.addP50, 2)} ms`,
        );
      }
    }
  } finally {
    await server.close();
  }
  const results = [...new Set(rounds.map((r) => r.system))].map((name) =>
    medianResult(rounds.filter((r) => r.system === name)),
  );

  const missing: Result = { ...emptyResult('(not run)') };
  const heraldResult = results.find((r) => r.system.startsWith('herald')) ?? missing;
  const graphiles = results.filter((r) => r.system.startsWith('graphile'));
  const bestGraphile = graphiles.reduce(
    (best, r) => ((r.throughput || 0) > (best.throughput || 0) ? r : best),
    graphiles[0] ?? missing,
  );
  const graphileDefaults = graphiles.find((r) => r.system.includes('defaults')) ?? missing;
  const boss = results.find((r) => r.system.startsWith('pg-boss')) ?? missing;

  console.log(`\n${server.label} PostgreSQL ${server.version}; load average at the end ${loadAverage()}\n`);
  console.log(
    table(
      [
        'system',
        'insert jobs/s',
        'throughput jobs/s',
        'p50 ms',
        'p95 ms',
        'p99 ms',
        'max ms',
        'add ms',
        'dupes',
        'peak RSS MB',
        'WAL B/job',
        'client CPU µs/job',
        'server CPU µs/job',
      ],
      results.map((r) => [
        r.error ? `${r.system} (FAILED: ${r.error})` : r.system,
        fmt(r.insertPerSec),
        fmt(r.throughput),
        fmt(r.latencyP50, 2),
        fmt(r.latencyP95, 2),
        fmt(r.latencyP99, 2),
        fmt(r.latencyMax, 2),
        fmt(r.addP50, 2),
        String(r.duplicates),
        fmt(r.peakRssMb),
        fmt(r.walBytesPerJob),
        fmt(r.clientCpuUsPerJob, 1),
        fmt(r.serverCpuUsPerJob, 1),
      ]),
    ),
  );
  const ratios = {
    throughputVsBestGraphile: ratio(heraldResult.throughput, bestGraphile.throughput),
    throughputVsGraphileDefaults: ratio(heraldResult.throughput, graphileDefaults.throughput),
    throughputVsPgBoss: ratio(heraldResult.throughput, boss.throughput),
    latencyP50VsBestGraphile: ratio(heraldResult.latencyP50, bestGraphile.latencyP50),
    latencyP50VsGraphileDefaults: ratio(heraldResult.latencyP50, graphileDefaults.latencyP50),
    latencyP50VsPgBoss: ratio(heraldResult.latencyP50, boss.latencyP50),
  };
  const minGraphileP50 = Math.min(...graphiles.map((r) => r.latencyP50).filter(Number.isFinite), Infinity);
  const targets = {
    throughputAtLeastBestGraphile: heraldResult.throughput >= bestGraphile.throughput,
    latencyP50AtMostGraphile: heraldResult.latencyP50 <= minGraphileP50,
  };
  console.log(
    `\n${heraldResult.system} ÷ best graphile config (${bestGraphile.system}): throughput ×${fmt(ratios.throughputVsBestGraphile, 2)}, ` +
      `latency p50 ×${fmt(ratios.latencyP50VsBestGraphile, 2)}`,
  );
  console.log(
    `${heraldResult.system} ÷ pg-boss: throughput ×${fmt(ratios.throughputVsPgBoss, 2)}, latency p50 ×${fmt(ratios.latencyP50VsPgBoss, 2)}`,
  );
  console.log(
    `targets: throughput ≥ best graphile ${targets.throughputAtLeastBestGraphile ? 'MET' : 'NOT MET'}; ` +
      `latency p50 ≤ graphile (${fmt(minGraphileP50, 2)} ms) ${targets.latencyP50AtMostGraphile ? 'MET' : 'NOT MET'}`,
  );
  console.log(
    JSON.stringify({
      benchmark: 'engine',
      server: server.label,
      postgres: server.version,
      jobs: JOBS,
      concurrency: CONCURRENCY,
      latencyJobs: LATENCY_JOBS,
      latencyGapMs: LATENCY_GAP_MS,
      heraldPrefetch: PREFETCHES[0],
      rounds: ROUNDS,
      seconds: round((Date.now() - started) / 1000, 1),
      cores: os.cpus().length,
      loadAverage: os.loadavg().map((l) => round(l)),
      results: results.map((r) => ({
        system: r.system,
        insertPerSec: round(r.insertPerSec, 0),
        throughput: round(r.throughput, 0),
        drained: r.drained,
        latencyMs: {
          p50: round(r.latencyP50),
          p95: round(r.latencyP95),
          p99: round(r.latencyP99),
          max: round(r.latencyMax),
          addP50: round(r.addP50),
        },
        latencyDone: r.latencyDone,
        duplicates: r.duplicates,
        peakRssMb: round(r.peakRssMb, 0),
        walBytesPerJob: round(r.walBytesPerJob, 0),
        clientCpuUsPerJob: round(r.clientCpuUsPerJob, 1),
        serverCpuUsPerJob: round(r.serverCpuUsPerJob, 1),
        ...(r.error ? { error: r.error } : {}),
      })),
      perRound:
        ROUNDS > 1
          ? rounds.map((r) => ({
              system: r.system,
              throughput: round(r.throughput, 0),
              p50: round(r.latencyP50),
            }))
          : undefined,
      bestGraphile: bestGraphile.system,
      ratios,
      targets,
    }),
  );
  if (results.some((r) => r.error)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
