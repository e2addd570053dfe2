/**
 * `npm run bench:email [-- --emails 20000 --rounds 3 --graphile-concurrency 10,20,50 --delay-ms 0 --quick]`
 *
 * Order-confirmation emails end to end, Herald against graphile-worker, in one run on one
 * PostgreSQL server (DATABASE_URL, else an embedded one), each system in a fresh database per
 * round. Method (docs/BENCHMARKS.md, `bench:email`): N `order.approved` events (graphile: N jobs)
 * are inserted in bulk, then one worker process sends them to a local Postmark-compatible server
 * (bench/postmark-stand-in.ts, its own process, no artificial delay unless --delay-ms); throughput
 * = N / (last email accepted − worker started). Herald runs its own email subscription
 * (lib/email/subscriptions.ts) batched (Postmark's /email/batch, 500 per request) and with
 * batching off; graphile-worker runs the official `postmark` client's sendEmail, one email per
 * job, at each concurrency with and without its local queue. Every round checks that each email
 * was accepted exactly once (0 lost, 0 duplicates). Rounds alternate the systems; the table shows
 * medians, and the ratio is the median of each round's own ratio. The last line is one JSON object.
 */

import { type ChildProcess, fork } from 'node:child_process';
import os from 'node:os';
import { Logger as GraphileLogger, makeWorkerUtils, type Runner, run as runGraphile } from 'graphile-worker';
import pg from 'pg';
import { ServerClient } from 'postmark';
import { channels, type Payload } from '../lib/channels';
import { createDb, createPool } from '../lib/db/client';
import { migrateDatabase } from '../lib/db/migrate';
import { renderOrderConfirmation } from '../lib/email/order-confirmation';
import { createPostmarkSender } from '../lib/email/postmark';
import { emailSubscriptions } from '../lib/email/subscriptions';
import { publishMany } from '../lib/publish';
import { syncSubscriptions } from '../lib/subscriptions/sync';
import { Worker } from '../worker/worker';
import { flag, fmt, numberFlag, openServer, round, type Server, silentLog, sleep, table } from './common';

const QUICK = process.argv.includes('--quick');
const EMAILS = Math.floor(numberFlag('emails', QUICK ? 5_000 : 20_000));
const ROUNDS = Math.max(1, Math.floor(numberFlag('rounds', QUICK ? 1 : 3)));
const GRAPHILE_CONCURRENCY = (flag('graphile-concurrency') ?? (QUICK ? '20' : '10,20,50'))
  .split(',')
  .map((v) => Number.parseInt(v, 10))
  .filter((v) => Number.isInteger(v) && v > 0);
/** graphile-worker's local queue when on: the size its own performance figures use. */
const LOCAL_QUEUE_SIZE = Math.floor(numberFlag('local-queue', 500));
/** Herald with batching off: the email subscription's default concurrency, and one to match graphile's highest. */
const HERALD_UNBATCHED_CONCURRENCY = (flag('herald-unbatched-concurrency') ?? (QUICK ? '50' : '10,50'))
  .split(',')
  .map((v) => Number.parseInt(v, 10))
  .filter((v) => Number.isInteger(v) && v > 0);
const DELAY_MS = Number(flag('delay-ms') ?? 0);
/** `--only herald_batched,graphile_c20_lq`: a subset by key prefix, for profiling. */
const ONLY = flag('only')
  ?.split(',')
  .map((v) => v.trim())
  .filter(Boolean);
const DRAIN_TIMEOUT_MS = numberFlag('drain-timeout-s', 300) * 1000;
const INSERT_BATCH = 1_000;
const FROM = 'Shop <shop@example.com>';
const STAND_IN_TOKEN = 'bench-token';

const now = () => performance.timeOrigin + performance.now();

// ------------------------------------------------------------------------- the Postmark stand-in

interface StandInStats {
  unique: number;
  duplicates: number;
  unknown: number;
  requests: number;
  firstAt: number;
  lastAt: number;
}

class StandIn {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(): Promise<StandIn> {
    const child = fork(new URL('./postmark-stand-in.ts', import.meta.url), [], {
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        BENCH_POSTMARK_DELAY_MS: String(DELAY_MS),
        BENCH_POSTMARK_TOKEN: STAND_IN_TOKEN,
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the Postmark stand-in exited (${code})`)));
      child.on('message', (m: { type: string; port?: number }) => m.type === 'listening' && resolve(m.port!));
    });
    return new StandIn(child, `http://127.0.0.1:${port}`);
  }

  private ask<T>(message: object, answer: string): Promise<T> {
    return new Promise<T>((resolve) => {
      const on = (m: { type: string }) => {
        if (m.type !== answer) return;
        this.child.off('message', on);
        resolve(m as T);
      };
      this.child.on('message', on);
      this.child.send(message);
    });
  }

  reset(size: number) {
    return this.ask<unknown>({ type: 'reset', size }, 'reset-done');
  }

  stats() {
    return this.ask<StandInStats>({ type: 'stats' }, 'stats');
  }

  stop() {
    this.child.disconnect();
  }
}

// ----------------------------------------------------------------------------------- the systems

interface System {
  name: string;
  key: string;
  /** Creates its schema in the fresh database and inserts the N emails to send (not timed). */
  setup(url: string, apiUrl: string): Promise<void>;
  startWorker(): Promise<void>;
  stop(): Promise<void>;
}

function order(n: number): Payload<'order.approved'> {
  return {
    orderId: `A-${n}`,
    customer: { email: `customer-${n}@example.test`, name: `Customer ${n}` },
    total: 59.5,
    currency: 'EUR',
    items: [{ name: 'Tea', quantity: 2, price: 29.75 }],
  };
}

function ranges(size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let a = 0; a < EMAILS; a += size) out.push([a, Math.min(EMAILS, a + size)]);
  return out;
}

function herald(batched: boolean, concurrency?: number): System {
  let url = '';
  let apiUrl = '';
  let workerPool: pg.Pool | undefined;
  let worker: Worker | undefined;
  const subscription = (api = apiUrl) =>
    emailSubscriptions({
      sender: createPostmarkSender({
        apiUrl: api,
        serverToken: STAND_IN_TOKEN,
        from: FROM,
        messageStream: 'outbound',
      }),
      batch: batched ? {} : false,
      concurrency,
    }).filter((s) => s.name === 'order-confirmation-email');
  return {
    name: batched
      ? `herald (batched: 500 per request, concurrency ${subscription('http://127.0.0.1')[0]!.concurrency})`
      : `herald (batching off, concurrency ${concurrency})`,
    key: batched ? 'herald_batched' : `herald_single_c${concurrency}`,
    async setup(dbUrl, api) {
      url = dbUrl;
      apiUrl = api;
      await migrateDatabase(url);
      const pool = createPool(url, { max: 4, applicationName: 'herald-bench-publisher' });
      try {
        const db = createDb(pool);
        await syncSubscriptions(db, subscription(), 30_000);
        for (const [a, b] of ranges(INSERT_BATCH)) {
          const events = [];
          for (let n = a; n < b; n++) events.push({ channel: 'order.approved' as const, payload: order(n) });
          await publishMany(db, events);
        }
      } finally {
        await pool.end();
      }
      workerPool = createPool(url, { max: 10, applicationName: 'herald-bench-worker' });
    },
    async startWorker() {
      worker = new Worker({
        pool: workerPool!,
        url,
        channels,
        subscriptions: subscription(),
        log: silentLog,
      });
      await worker.start();
    },
    async stop() {
      await worker?.stop();
      await workerPool?.end();
    },
  };
}

const quietGraphile = new GraphileLogger(() => () => {});

/** Our own pools, ended on stop (see bench/engine.ts quietPool for why). */
function quietPool(url: string, max: number): pg.Pool {
  return new pg.Pool({ connectionString: url, max })
    .on('error', () => {})
    .on('connect', (client) => client.on('error', () => {}));
}

function graphile(concurrency: number, localQueue: boolean): System {
  let url = '';
  let apiUrl = '';
  let runner: Runner | undefined;
  let pool: pg.Pool | undefined;
  return {
    name: `graphile-worker (concurrency ${concurrency}${localQueue ? `, localQueue ${LOCAL_QUEUE_SIZE}` : ''})`,
    key: `graphile_c${concurrency}${localQueue ? '_lq' : ''}`,
    async setup(dbUrl, api) {
      url = dbUrl;
      apiUrl = api;
      const utilsPool = quietPool(url, 4);
      const utils = await makeWorkerUtils({ pgPool: utilsPool, logger: quietGraphile });
      try {
        await utils.migrate();
        for (const [a, b] of ranges(INSERT_BATCH)) {
          const jobs = [];
          for (let n = a; n < b; n++)
            jobs.push({ identifier: 'order_confirmation_email', payload: order(n) });
          await utils.addJobs(jobs);
        }
      } finally {
        await utils.release();
        await utilsPool.end();
      }
    },
    async startWorker() {
      const api = new URL(apiUrl);
      // One client for the process, as an application keeps it; one request per email.
      const client = new ServerClient(STAND_IN_TOKEN, { useHttps: false, requestHost: api.host });
      pool = quietPool(url, concurrency + 2);
      runner = await runGraphile({
        pgPool: pool,
        concurrency,
        noHandleSignals: true,
        logger: quietGraphile,
        taskList: {
          order_confirmation_email: async (payload) => {
            const email = renderOrderConfirmation(payload as Payload<'order.approved'>);
            await client.sendEmail({
              From: FROM,
              To: email.to,
              Subject: email.subject,
              TextBody: email.textBody,
              HtmlBody: email.htmlBody,
              Tag: email.tag,
              Metadata: email.metadata,
              MessageStream: 'outbound',
            });
          },
        },
        // graphile-worker 0.17's local queue (`worker.localQueue.size`) with batched completion:
        // the configuration its documentation uses for its own performance figures.
        preset: localQueue
          ? {
              worker: {
                localQueue: { size: LOCAL_QUEUE_SIZE },
                completeJobBatchDelay: 0,
                failJobBatchDelay: 0,
              },
            }
          : undefined,
      });
    },
    async stop() {
      await runner?.stop();
      await pool?.end();
    },
  };
}

// ------------------------------------------------------------------------------------ measuring

interface Result {
  system: string;
  key: string;
  round: number;
  emailsPerSec: number;
  seconds: number;
  accepted: number;
  lost: number;
  duplicates: number;
  requests: number;
  error?: string;
}

async function measure(server: Server, standIn: StandIn, system: System, roundNo: number): Promise<Result> {
  const result: Result = {
    system: system.name,
    key: system.key,
    round: roundNo,
    emailsPerSec: Number.NaN,
    seconds: Number.NaN,
    accepted: 0,
    lost: EMAILS,
    duplicates: 0,
    requests: 0,
  };
  const url = await server.createDatabase(`${system.key}_r${roundNo}`);
  try {
    await system.setup(url, standIn.url);
    await standIn.reset(EMAILS);
    const t0 = now();
    await system.startWorker();
    const deadline = performance.now() + DRAIN_TIMEOUT_MS;
    let stats = await standIn.stats();
    while (stats.unique < EMAILS && performance.now() < deadline) {
      await sleep(20);
      stats = await standIn.stats();
    }
    // A duplicate would come from a delivery run twice: give late ones a moment to show.
    await sleep(300);
    stats = await standIn.stats();
    result.accepted = stats.unique;
    result.lost = EMAILS - stats.unique;
    result.duplicates = stats.duplicates + stats.unknown;
    result.requests = stats.requests;
    result.seconds = (stats.lastAt - t0) / 1000;
    result.emailsPerSec = stats.unique / result.seconds;
    if (result.lost > 0) throw new Error(`${result.lost} of ${EMAILS} emails never accepted`);
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

const median = (xs: number[]) => {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
};

function loadAverage(): string {
  return `${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} on ${os.cpus().length} cores`;
}

async function main() {
  const started = Date.now();
  const systems: System[] = [
    herald(true),
    ...HERALD_UNBATCHED_CONCURRENCY.map((c) => herald(false, c)),
    ...GRAPHILE_CONCURRENCY.flatMap((c) => [graphile(c, false), graphile(c, true)]),
  ].filter((s) => ONLY === undefined || ONLY.some((o) => s.key.startsWith(o)));
  if (systems.length === 0) throw new Error('--only matched no system');
  const server = await openServer();
  const standIn = await StandIn.start();
  const rounds: Result[] = [];
  try {
    console.log(
      `bench:email on PostgreSQL ${server.version} (${server.label}); ${fmt(EMAILS)} order emails, ` +
        `${ROUNDS} round(s), stand-in delay ${DELAY_MS} ms; load average ${loadAverage()}\n`,
    );
    for (let r = 1; r <= ROUNDS; r++) {
      for (const system of systems) {
        process.stdout.write(`  ${ROUNDS > 1 ? `round ${r} ` : ''}${system.name} … `);
        const result = await measure(server, standIn, system, r);
        rounds.push(result);
        console.log(
          result.error
            ? `FAILED: ${result.error}`
            : `${fmt(result.emailsPerSec)} emails/s (${fmt(result.seconds, 2)} s, ${fmt(result.requests)} requests, ` +
                `${result.lost} lost, ${result.duplicates} duplicates)`,
        );
      }
    }
  } finally {
    standIn.stop();
    await server.close();
  }

  const bySystem = systems.map((s) => {
    const rs = rounds.filter((r) => r.key === s.key);
    return {
      system: s.name,
      key: s.key,
      emailsPerSec: median(rs.map((r) => r.emailsPerSec)),
      seconds: median(rs.map((r) => r.seconds)),
      requestsPerRound: median(rs.map((r) => r.requests)),
      lost: rs.reduce((a, r) => a + r.lost, 0),
      duplicates: rs.reduce((a, r) => a + r.duplicates, 0),
      errors: rs.filter((r) => r.error).map((r) => `round ${r.round}: ${r.error}`),
    };
  });
  const graphiles = bySystem.filter((s) => s.key.startsWith('graphile'));
  const bestGraphile = graphiles.reduce(
    (best, s) => (s.emailsPerSec > best.emailsPerSec ? s : best),
    graphiles[0]!,
  );
  // Each round's ratio against that round's best graphile configuration, then the median: a slow
  // spell of the shared machine hits both sides of a ratio, not one median.
  const ratioPerRound = (key: string) =>
    median(
      [...new Set(rounds.map((r) => r.round))].map((roundNo) => {
        const inRound = rounds.filter((r) => r.round === roundNo && !r.error);
        const herald = inRound.find((r) => r.key === key)?.emailsPerSec ?? Number.NaN;
        const peers = inRound.filter((r) => r.key.startsWith('graphile')).map((r) => r.emailsPerSec);
        return peers.length === 0 ? Number.NaN : herald / Math.max(...peers);
      }),
    );
  const ratios = Object.fromEntries(
    bySystem.filter((s) => s.key.startsWith('herald')).map((s) => [s.key, round(ratioPerRound(s.key), 2)]),
  );

  console.log(`\n${server.label} PostgreSQL ${server.version}; load average at the end ${loadAverage()}\n`);
  console.log(
    table(
      [
        'system',
        'emails/s (median)',
        'drain s',
        'requests',
        'lost',
        'duplicates',
        '÷ best graphile (per round)',
      ],
      bySystem.map((s) => [
        s.errors.length ? `${s.system} (FAILED: ${s.errors.join('; ')})` : s.system,
        fmt(s.emailsPerSec),
        fmt(s.seconds, 2),
        fmt(s.requestsPerRound),
        String(s.lost),
        String(s.duplicates),
        s.key in ratios ? `×${fmt(ratios[s.key], 2)}` : '',
      ]),
    ),
  );
  const batchedRatio = ratios.herald_batched ?? Number.NaN;
  const target = {
    heraldBatchedAtLeast3xBestGraphile: batchedRatio >= 3,
    noneLostOrDuplicated: bySystem.every((s) => s.lost === 0 && s.duplicates === 0),
  };
  console.log(
    `\nherald batched ÷ best graphile configuration (${bestGraphile.system}): ×${fmt(batchedRatio, 2)} ` +
      `(median of per-round ratios); target ≥ 3×: ${target.heraldBatchedAtLeast3xBestGraphile ? 'MET' : 'NOT MET'}; ` +
      `0 lost and 0 duplicates: ${target.noneLostOrDuplicated ? 'yes' : 'NO'}`,
  );
  console.log(
    JSON.stringify({
      benchmark: 'email',
      server: server.label,
      postgres: server.version,
      emails: EMAILS,
      rounds: ROUNDS,
      delayMs: DELAY_MS,
      localQueueSize: LOCAL_QUEUE_SIZE,
      seconds: round((Date.now() - started) / 1000, 1),
      cores: os.cpus().length,
      loadAverage: os.loadavg().map((l) => round(l)),
      results: bySystem.map((s) => ({
        system: s.system,
        emailsPerSec: round(s.emailsPerSec, 0),
        drainSeconds: round(s.seconds, 2),
        requestsPerRound: s.requestsPerRound,
        lost: s.lost,
        duplicates: s.duplicates,
        ...(s.errors.length ? { errors: s.errors } : {}),
      })),
      perRound: rounds.map((r) => ({
        system: r.key,
        round: r.round,
        emailsPerSec: round(r.emailsPerSec, 0),
      })),
      bestGraphile: bestGraphile.system,
      ratiosVsBestGraphile: ratios,
      targets: target,
    }),
  );
  if (bySystem.some((s) => s.errors.length > 0) || !target.noneLostOrDuplicated) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
