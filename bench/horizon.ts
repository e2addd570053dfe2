/**
 * `npm run bench:horizon [-- --rate 200 --before-min 2 --hold-min 10 --after-min 2 --bucket-s 60]`
 *
 * Steady order-email traffic while a forgotten transaction holds a snapshot (issue #22 item 4).
 * Herald and graphile-worker run side by side, each in a database of its own on one PostgreSQL
 * server, each publishing `--rate` order emails per second one per transaction (as an application
 * does) and sending them to a Postmark-compatible stand-in (bench/postmark-stand-in.ts). After
 * `--before-min`, one idle `BEGIN ISOLATION LEVEL REPEATABLE READ` session per database holds a
 * snapshot for `--hold-min` (what a forgotten transaction or a long report does: VACUUM and page
 * pruning may not remove any row version that snapshot could still see), then commits; the run
 * goes on for `--after-min`. Per bucket (`--bucket-s`, a minute by default): publish → accepted
 * p50 / p99 / max for each system (measured by the stand-in: each email carries its publication
 * time in its order id), and the dead row versions in each system's tables (pg_stat_user_tables
 * n_dead_tup) with their total size. The last line is one JSON object.
 *
 * Both systems run at once, so both live through the same hold on the same server; each has its
 * own publisher, worker and pool. Herald runs its email subscription batched (the default) and
 * graphile-worker the official postmark client at concurrency 20 with its local queue.
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
import { publish } from '../lib/publish';
import { syncSubscriptions } from '../lib/subscriptions/sync';
import { Worker } from '../worker/worker';
import { adminQuery, flag, fmt, numberFlag, openServer, round, silentLog, sleep, table } from './common';

const RATE = numberFlag('rate', 200);
const BEFORE_MIN = numberFlag('before-min', 2);
const HOLD_MIN = numberFlag('hold-min', 10);
const AFTER_MIN = numberFlag('after-min', 2);
const BUCKET_S = numberFlag('bucket-s', 60);
const GRAPHILE_CONCURRENCY = Math.floor(numberFlag('graphile-concurrency', 20));
const ONLY = flag('only');
const TOKEN = 'bench-token';
const FROM = 'Shop <shop@example.com>';

const now = () => performance.timeOrigin + performance.now();

// -------------------------------------------------------------------------------- the stand-in

interface Bucket {
  system: string;
  bucket: number;
  count: number;
  p50: number;
  p99: number;
  max: number;
}

class StandIn {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(): Promise<StandIn> {
    const child = fork(new URL('./postmark-stand-in.ts', import.meta.url), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, BENCH_POSTMARK_TOKEN: TOKEN },
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

  /** Start measuring latency: buckets of `bucketMs` from `startAt` (epoch ms). */
  startLatency(startAt: number, bucketMs: number) {
    return this.ask<unknown>({ type: 'latency-start', startAt, bucketMs }, 'latency-started');
  }

  latency() {
    return this.ask<{ buckets: Bucket[] }>({ type: 'latency' }, 'latency').then((m) => m.buckets);
  }

  stop() {
    this.child.disconnect();
  }
}

// ----------------------------------------------------------------------------------- the systems

/** The order id carries the system, the number and the publication time: `h-42@1764745200123.5`. */
function order(prefix: string, n: number): Payload<'order.approved'> {
  return {
    orderId: `${prefix}-${n}@${now()}`,
    customer: { email: `customer-${n}@example.test`, name: `Customer ${n}` },
    total: 59.5,
    currency: 'EUR',
    items: [{ name: 'Tea', quantity: 2, price: 29.75 }],
  };
}

interface System {
  name: string;
  prefix: string;
  url: string;
  /** Schemas whose tables' dead row versions count. */
  schemas: string[];
  start(apiUrl: string): Promise<void>;
  publishOne(n: number): Promise<void>;
  stop(): Promise<void>;
}

function herald(url: string): System {
  let worker: Worker | undefined;
  let workerPool: pg.Pool | undefined;
  let publisherPool: pg.Pool | undefined;
  let db: ReturnType<typeof createDb> | undefined;
  return {
    name: 'herald (batched email)',
    prefix: 'h',
    url,
    schemas: ['herald'],
    async start(apiUrl) {
      await migrateDatabase(url);
      const subscriptions = emailSubscriptions({
        sender: createPostmarkSender({ apiUrl, serverToken: TOKEN, from: FROM, messageStream: 'outbound' }),
      }).filter((s) => s.name === 'order-confirmation-email');
      workerPool = createPool(url, { max: 10, applicationName: 'herald-bench-worker' });
      publisherPool = createPool(url, { max: 8, applicationName: 'herald-bench-publisher' });
      db = createDb(publisherPool);
      await syncSubscriptions(db, subscriptions, 30_000);
      worker = new Worker({ pool: workerPool, url, channels, subscriptions, log: silentLog });
      await worker.start();
    },
    async publishOne(n) {
      await publish(db!, 'order.approved', order('h', n));
    },
    async stop() {
      await worker?.stop();
      await workerPool?.end();
      await publisherPool?.end();
    },
  };
}

const quietGraphile = new GraphileLogger(() => () => {});

/** Pools with the error handlers graphile-worker asks for (see bench/engine.ts quietPool). */
function quietPool(url: string, max: number): pg.Pool {
  return new pg.Pool({ connectionString: url, max })
    .on('error', () => {})
    .on('connect', (client) => client.on('error', () => {}));
}

function graphile(url: string): System {
  let runner: Runner | undefined;
  let pool: pg.Pool | undefined;
  let utilsPool: pg.Pool | undefined;
  let utils: Awaited<ReturnType<typeof makeWorkerUtils>> | undefined;
  return {
    name: `graphile-worker (concurrency ${GRAPHILE_CONCURRENCY}, localQueue 500)`,
    prefix: 'g',
    url,
    schemas: ['graphile_worker'],
    async start(apiUrl) {
      utilsPool = quietPool(url, 8);
      utils = await makeWorkerUtils({ pgPool: utilsPool, logger: quietGraphile });
      await utils.migrate();
      const client = new ServerClient(TOKEN, { useHttps: false, requestHost: new URL(apiUrl).host });
      pool = quietPool(url, GRAPHILE_CONCURRENCY + 2);
      runner = await runGraphile({
        pgPool: pool,
        concurrency: GRAPHILE_CONCURRENCY,
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
        preset: { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
      });
    },
    async publishOne(n) {
      await utils!.addJob('order_confirmation_email', order('g', n));
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
 * Publishes `RATE` emails per second for a system until stopped, one per call, keeping up to 16
 * calls in flight so a slow commit delays the schedule rather than the rate. Returns the count
 * and the calls that failed.
 */
function paced(system: System) {
  let stopped = false;
  let sent = 0;
  let failed = 0;
  let inFlight = 0;
  const started = performance.now();
  const loop = (async () => {
    while (!stopped) {
      const due = Math.floor(((performance.now() - started) / 1000) * RATE);
      while (sent < due && inFlight < 16) {
        const n = sent++;
        inFlight++;
        system
          .publishOne(n)
          .catch(() => failed++)
          .finally(() => inFlight--);
      }
      await sleep(2);
    }
    while (inFlight > 0) await sleep(5);
  })();
  return {
    get sent() {
      return sent;
    },
    get failed() {
      return failed;
    },
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

interface DeadRow {
  minute: number;
  system: string;
  deadTuples: number;
  liveTuples: number;
  totalBytes: number;
}

async function deadTuples(system: System): Promise<Omit<DeadRow, 'minute' | 'system'>> {
  const client = new pg.Client({ connectionString: system.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ dead: string; live: string; bytes: string }>(
      `SELECT coalesce(sum(n_dead_tup), 0) AS dead, coalesce(sum(n_live_tup), 0) AS live,
              coalesce(sum(pg_total_relation_size(relid)), 0) AS bytes
       FROM pg_stat_user_tables WHERE schemaname = ANY($1)`,
      [system.schemas],
    );
    return {
      deadTuples: Number(rows[0]?.dead ?? 0),
      liveTuples: Number(rows[0]?.live ?? 0),
      totalBytes: Number(rows[0]?.bytes ?? 0),
    };
  } finally {
    await client.end();
  }
}

/** One idle REPEATABLE READ transaction per database, its snapshot taken. */
async function holdSnapshots(systems: System[]) {
  const clients = await Promise.all(
    systems.map(async (s) => {
      const client = new pg.Client({
        connectionString: s.url,
        application_name: 'herald-bench-forgotten-tx',
      });
      await client.connect();
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await client.query('SELECT count(*) FROM pg_class'); // the snapshot is taken by the first query
      return client;
    }),
  );
  return async () => {
    for (const c of clients) {
      await c.query('COMMIT').catch(() => {});
      await c.end();
    }
  };
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
  const standIn = await StandIn.start();
  const all = [
    herald(await server.createDatabase('horizon_herald')),
    graphile(await server.createDatabase('horizon_graphile')),
  ];
  const systems = all.filter((s) => ONLY === undefined || ONLY.split(',').some((o) => s.name.startsWith(o)));
  const [autovacuum] = await adminQuery<{ autovacuum: string }>(server.url, 'SHOW autovacuum');
  if (autovacuum?.autovacuum !== 'on')
    console.warn(
      'warning: autovacuum is off on this server, so dead rows pile up with or without a held snapshot; ' +
        'run without DATABASE_URL (the embedded PostgreSQL runs autovacuum) to see what the hold changes',
    );
  const bucketMs = BUCKET_S * 1000;
  const totalMin = BEFORE_MIN + HOLD_MIN + AFTER_MIN;
  const phaseOf = (bucket: number) => {
    const minute = (bucket * BUCKET_S) / 60;
    return minute < BEFORE_MIN ? 'before' : minute < BEFORE_MIN + HOLD_MIN ? 'hold' : 'after';
  };
  const dead: DeadRow[] = [];
  let buckets: Bucket[] = [];
  try {
    console.log(
      `bench:horizon on PostgreSQL ${server.version} (${server.label}); ${RATE} emails/s per system; ` +
        `${BEFORE_MIN} min before, ${HOLD_MIN} min holding a snapshot, ${AFTER_MIN} min after; ` +
        `load average ${loadAverage()}\n`,
    );
    for (const s of systems) await s.start(standIn.url);
    const t0 = now();
    await standIn.startLatency(t0, bucketMs);
    const publishers = systems.map(paced);
    let release: (() => Promise<void>) | undefined;
    for (let bucket = 0; bucket * BUCKET_S < totalMin * 60; bucket++) {
      const minute = (bucket * BUCKET_S) / 60;
      if (minute === BEFORE_MIN) {
        release = await holdSnapshots(systems);
        console.log(`  ${fmt(minute, 1)} min: snapshot held`);
      }
      if (minute === BEFORE_MIN + HOLD_MIN && release) {
        await release();
        release = undefined;
        console.log(`  ${fmt(minute, 1)} min: snapshot released`);
      }
      await sleep(t0 + (bucket + 1) * bucketMs - now());
      for (const s of systems) dead.push({ minute: bucket, system: s.name, ...(await deadTuples(s)) });
      const row = (await standIn.latency()).filter((b) => b.bucket === bucket);
      console.log(
        `  bucket ${bucket} (${phaseOf(bucket)}): ` +
          systems
            .map((s) => {
              const b = row.find((r) => r.system === s.prefix);
              const d = dead.at(-systems.length + systems.indexOf(s))!;
              return `${s.prefix} p50 ${fmt(b?.p50, 1)} p99 ${fmt(b?.p99, 1)} ms n ${fmt(b?.count)} dead ${fmt(d.deadTuples)}`;
            })
            .join(' | '),
      );
    }
    await release?.();
    await Promise.all(publishers.map((p) => p.stop()));
    await sleep(2_000); // the last emails
    buckets = await standIn.latency();
    // A machine that cannot keep the rate shows here: fewer emails per bucket than rate × bucket.
    for (const [i, p] of publishers.entries())
      console.log(
        `  ${systems[i]!.name}: published ${fmt(p.sent)} (${fmt(p.sent / (totalMin * 60), 1)}/s of ${RATE}/s asked), ${p.failed} publish calls failed`,
      );
  } finally {
    for (const s of systems) await s.stop().catch(() => {});
    standIn.stop();
    await server.close();
  }

  const rows: string[][] = [];
  const bucketCount = Math.ceil((totalMin * 60) / BUCKET_S);
  for (let bucket = 0; bucket < bucketCount; bucket++) {
    rows.push([
      String(bucket),
      phaseOf(bucket),
      ...systems.flatMap((s) => {
        const b = buckets.find((r) => r.system === s.prefix && r.bucket === bucket);
        const d = dead.find((r) => r.system === s.name && r.minute === bucket);
        return [fmt(b?.count), fmt(b?.p50, 1), fmt(b?.p99, 1), fmt(d?.deadTuples)];
      }),
    ]);
  }
  console.log(`\nPostgreSQL ${server.version} (${server.label}); load average at the end ${loadAverage()}\n`);
  console.log(
    table(
      [
        `bucket (${BUCKET_S} s)`,
        'phase',
        ...systems.flatMap((s) => [
          `${s.prefix} emails`,
          `${s.prefix} p50 ms`,
          `${s.prefix} p99 ms`,
          `${s.prefix} dead rows`,
        ]),
      ],
      rows,
    ),
  );
  // The target: p99 in the hold's last bucket against the last bucket before it, per system.
  const lastBefore = Math.floor((BEFORE_MIN * 60) / BUCKET_S) - 1;
  const lastHold = Math.floor(((BEFORE_MIN + HOLD_MIN) * 60) / BUCKET_S) - 1;
  const growth = Object.fromEntries(
    systems.map((s) => {
      const at = (bucket: number) => buckets.find((b) => b.system === s.prefix && b.bucket === bucket)?.p99;
      return [s.prefix, round((at(lastHold) ?? Number.NaN) / (at(lastBefore) ?? Number.NaN), 2)];
    }),
  );
  console.log(
    `\np99 at the end of the hold ÷ p99 before it: ${systems.map((s) => `${s.name} ×${fmt(growth[s.prefix], 2)}`).join(', ')}`,
  );
  console.log(
    JSON.stringify({
      benchmark: 'horizon',
      server: server.label,
      postgres: server.version,
      rate: RATE,
      beforeMin: BEFORE_MIN,
      holdMin: HOLD_MIN,
      afterMin: AFTER_MIN,
      bucketSeconds: BUCKET_S,
      seconds: round((Date.now() - started) / 1000, 1),
      cores: os.cpus().length,
      loadAverage: os.loadavg().map((l) => round(l)),
      systems: systems.map((s) => ({ prefix: s.prefix, name: s.name })),
      buckets: buckets.map((b) => ({ ...b, p50: round(b.p50), p99: round(b.p99), max: round(b.max) })),
      dead,
      p99GrowthEndOfHoldVsBefore: growth,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
