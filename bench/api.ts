/**
 * `npm run bench:api [-- --seconds 10 --connections 32 --port 3200 --rounds 2]` (`--help`: options)
 *
 * The HTTP API under autocannon, against the production build started by the real start
 * command (`herald start`: migrations, `next build` when stale, next start and a worker) on a
 * fresh database:
 *   baseline   a bare HTTP endpoint that parses the JSON body and does one INSERT into a plain
 *              table of the same database (bench/baseline.ts). It is the benchmark's own
 *              server, in a child process of its own, not a route of Herald: Herald ships no
 *              benchmark route. Being plain node:http rather than a Next.js route handler, it
 *              also leaves out Next's own cost per request, which the ratio now counts as
 *              Herald's (ratios before issue #18 compared two routes of the same Next server);
 *   publish    POST /api/v1/events with an API key: authentication (one indexed lookup, no
 *              cache), rate limit, validation, publish with fan-out, deliveries in the answer;
 *   batch      POST /api/v1/events/batch with 1,000 events per request.
 * Subscriptions are paused during the run so fan-out still writes deliveries but the worker
 * does not compete for the two cores, and NOTIFY is off for the database (see below). Targets (issue 4): publish ≥ 85 % of baseline req/s,
 * publish p99 < 100 ms, batch ≥ 20,000 events/s. Rates are means over the alternating rounds,
 * p99 the median round's; the load average is printed because other work on the machine shows
 * in every figure. The last line is one JSON object.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import os from 'node:os';
import autocannon from 'autocannon';
import { createApiKey } from '../lib/auth/api-keys';
import { createDb, createPool } from '../lib/db/client';
import { numberFlag, openServer, repoRoot, round, sleep, table } from './common';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(`npm run bench:api [-- options]

The HTTP API (publish, batch) under autocannon against \`herald start\` on a fresh database,
compared with a bare one-INSERT HTTP endpoint of the benchmark's own on the same database.

  --seconds N             length of each measured round (default 8)
  --rounds N              alternating baseline/publish rounds (default 3)
  --connections N         autocannon connections for baseline and publish (default 32)
  --batch-connections N   connections for the batch endpoint (default 4)
  --port N                port Herald listens on (default 3200)

DATABASE_URL: a PostgreSQL on 127.0.0.1 (else an embedded one is started).
`);
  process.exit(0);
}

const SECONDS = numberFlag('seconds', 8);
const CONNECTIONS = Math.floor(numberFlag('connections', 32));
const BATCH_CONNECTIONS = Math.floor(numberFlag('batch-connections', 4));
const PORT = Math.floor(numberFlag('port', 3200));
const ROUNDS = Math.floor(numberFlag('rounds', 3));
const BATCH = 1_000;

interface Figures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

let serverRunning: () => boolean = () => true;

async function cannon(
  base: string,
  path: string,
  body: string,
  headers: Record<string, string>,
  connections: number,
  seconds: number,
) {
  const result = await autocannon({
    url: `${base}${path}`,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  if (!serverRunning()) throw new Error('Herald stopped during the run (see its output above)');
  return {
    requestsPerSecond: round(result.requests.average, 0),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  } satisfies Figures;
}

async function waitForServer(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`http://127.0.0.1:${PORT}/api/v1/openapi.json`);
      if (r.ok) return;
    } catch {}
    await sleep(500);
  }
  throw new Error(`the server did not answer on port ${PORT} within ${timeoutMs / 1000} s`);
}

/**
 * Peak resident memory of the web server and of the worker that `herald start` runs, summed
 * over each one's processes (Linux `ps`), sampled while the load runs.
 */
function memorySampler(rootPid: number) {
  const peak = { serverMb: 0, workerMb: 0 };
  const sample = () => {
    let out = '';
    try {
      out = execFileSync('ps', ['-eo', 'pid=,ppid=,rss=,args='], { encoding: 'utf8' });
    } catch {
      return;
    }
    const rows = out
      .trim()
      .split('\n')
      .map((l) => l.trim().match(/^(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/))
      .filter((m): m is RegExpMatchArray => m !== null)
      .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), rssKb: Number(m[3]), args: m[4]! }));
    const inTree = new Set([rootPid]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const r of rows)
        if (!inTree.has(r.pid) && inTree.has(r.ppid)) {
          inTree.add(r.pid);
          grew = true;
        }
    }
    // The web server's processes descend from `next start`; the worker's from worker/main.ts.
    const children = new Map<number, number[]>();
    for (const r of rows) children.set(r.ppid, [...(children.get(r.ppid) ?? []), r.pid]);
    const subtree = (pid: number): number[] => [pid, ...(children.get(pid) ?? []).flatMap(subtree)];
    const rss = (match: (args: string) => boolean) => {
      const tops = rows.filter((r) => inTree.has(r.pid) && match(r.args));
      const pids = new Set(tops.flatMap((t) => subtree(t.pid)));
      return rows.filter((r) => pids.has(r.pid)).reduce((a, r) => a + r.rssKb, 0) / 1024;
    };
    peak.serverMb = Math.max(
      peak.serverMb,
      rss((a) => /next(-server)?\b.*start|next-server/.test(a) && !/tsx/.test(a)),
    );
    peak.workerMb = Math.max(
      peak.workerMb,
      rss((a) => a.includes('worker/main.ts')),
    );
  };
  const timer = setInterval(sample, 500);
  return {
    peak,
    stop() {
      clearInterval(timer);
      sample();
    },
  };
}

/** bench/baseline-main.ts as a child process: its own event loop, like Herald's web server. */
function startBaselineProcess(databaseUrl: string): { child: ChildProcess; url: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/baseline-main.ts'], {
    cwd: repoRoot,
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = new Promise<string>((resolve, reject) => {
    child.once('message', (m: { type?: string; url?: string }) => {
      if (m.type === 'ready' && m.url) resolve(m.url);
      else reject(new Error(`the baseline server said ${JSON.stringify(m)}`));
    });
    child.once('exit', (code) => reject(new Error(`the baseline server exited (${code})`)));
  });
  return { child, url };
}

async function main() {
  const server = await openServer();
  const url = await server.createDatabase('api');
  {
    // NOTIFY off for this database: with subscriptions paused the idle worker stays "waiting",
    // so every publish would NOTIFY (one database-wide lock per commit) and wake it for nothing.
    // That engine cost is measured by bench:publish; this run isolates the HTTP layer.
    const admin = createPool(url, { max: 1, applicationName: 'herald-bench-admin' });
    await admin.query(`ALTER DATABASE "${new URL(url).pathname.slice(1)}" SET herald.notify = 'off'`);
    await admin.end();
  }
  process.stderr.write(`[bench:api] ${server.label}; starting Herald on port ${PORT} (builds when stale)…\n`);
  const herald = spawn(process.execPath, ['--import', 'tsx', 'scripts/herald.ts', 'start'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      DATABASE_URL: url,
      PORT: String(PORT),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let running = true;
  const exited = new Promise<void>((resolve) =>
    herald.on('exit', () => {
      running = false;
      resolve();
    }),
  );
  serverRunning = () => running;
  const pool = createPool(url, { max: 2, applicationName: 'herald-bench' });
  let baselineChild: ChildProcess | undefined;
  try {
    await Promise.race([
      waitForServer(600_000),
      exited.then(() => Promise.reject(new Error('herald start exited'))),
    ]);
    const db = createDb(pool);
    const baselineStarted = startBaselineProcess(url);
    baselineChild = baselineStarted.child;
    const baselineUrl = await baselineStarted.url;
    const heraldUrl = `http://127.0.0.1:${PORT}`;
    // One subscription on the channel so every event fans out to one delivery, as in production.
    await pool.query(
      `INSERT INTO herald.subscriptions (name, channel_pattern) VALUES ('bench-sms', 'sms') ON CONFLICT DO NOTHING`,
    );
    await pool.query('UPDATE herald.subscriptions SET paused = true');
    const { token } = await createApiKey(db, {
      name: 'bench',
      scopes: ['publish'],
      publishChannels: ['*'],
      rateLimitPerMinute: 1_000_000,
      createdBy: 'bench',
    });
    const auth = { authorization: `Bearer ${token}` };
    const event = { channel: 'sms', payload: { to: '+14155550100', msg: 'Your order 1042 has shipped' } };
    const one = JSON.stringify(event);
    const batch = JSON.stringify({ events: Array.from({ length: BATCH }, () => event) });

    // Warm up both paths (JIT, connection pools, prepared statements).
    await cannon(baselineUrl, '/', one, {}, CONNECTIONS, 3);
    await cannon(heraldUrl, '/api/v1/events', one, auth, CONNECTIONS, 3);
    const memory = memorySampler(herald.pid ?? 0);
    const baselines: Figures[] = [];
    const publishes: Figures[] = [];
    // Alternate short rounds, so load from anything else on the machine hits both sides alike;
    // the ratio compares the totals over all rounds.
    for (let r = 0; r < ROUNDS; r++) {
      baselines.push(await cannon(baselineUrl, '/', one, {}, CONNECTIONS, SECONDS));
      publishes.push(await cannon(heraldUrl, '/api/v1/events', one, auth, CONNECTIONS, SECONDS));
    }
    await cannon(heraldUrl, '/api/v1/events/batch', batch, auth, BATCH_CONNECTIONS, 3);
    const batchRun = await cannon(heraldUrl, '/api/v1/events/batch', batch, auth, BATCH_CONNECTIONS, SECONDS);
    memory.stop();
    const mean = (xs: Figures[], f: (x: Figures) => number) => xs.reduce((a, x) => a + f(x), 0) / xs.length;
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const baseline = {
      requestsPerSecond: round(
        mean(baselines, (x) => x.requestsPerSecond),
        0,
      ),
      p99Ms: median(baselines.map((x) => x.p99Ms)),
      errors: baselines.reduce((a, x) => a + x.errors, 0),
      non2xx: baselines.reduce((a, x) => a + x.non2xx, 0),
    };
    const publish = {
      requestsPerSecond: round(
        mean(publishes, (x) => x.requestsPerSecond),
        0,
      ),
      p50Ms: median(publishes.map((x) => x.p50Ms)),
      p99Ms: median(publishes.map((x) => x.p99Ms)),
      errors: publishes.reduce((a, x) => a + x.errors, 0),
      non2xx: publishes.reduce((a, x) => a + x.non2xx, 0),
    };
    const load = os.loadavg()[0]!;
    const [{ n: events }] = (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM herald.events'))
      .rows as [{ n: number }];
    const batchEventsPerSecond = batchRun.requestsPerSecond * BATCH;
    const ratio = publish.requestsPerSecond / Math.max(1, baseline.requestsPerSecond);

    console.log(
      table(
        ['variant', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx'],
        [
          ...baselines.map((b, i) => [
            `baseline #${i + 1}`,
            String(b.requestsPerSecond),
            String(b.p50Ms),
            String(b.p99Ms),
            String(b.errors),
            String(b.non2xx),
          ]),
          ...publishes.map((p, i) => [
            `publish #${i + 1}`,
            String(p.requestsPerSecond),
            String(p.p50Ms),
            String(p.p99Ms),
            String(p.errors),
            String(p.non2xx),
          ]),
          [
            'batch ×1000',
            String(batchRun.requestsPerSecond),
            String(batchRun.p50Ms),
            String(batchRun.p99Ms),
            String(batchRun.errors),
            String(batchRun.non2xx),
          ],
        ],
      ),
    );
    console.log(
      `publish = ${round(ratio * 100, 1)} % of baseline (target ≥ 85 %), p99 ${publish.p99Ms} ms (target < 100), ` +
        `batch ${batchEventsPerSecond} events/s (target ≥ 20,000); ${events} events written; ` +
        `load average ${round(load, 1)} on ${os.cpus().length} cores`,
    );
    console.log(
      `peak memory at full load: web server ${round(memory.peak.serverMb, 0)} MB, worker ${round(memory.peak.workerMb, 0)} MB (RSS, all their processes)`,
    );
    console.log(
      JSON.stringify({
        bench: 'api',
        server: server.label,
        connections: CONNECTIONS,
        seconds: SECONDS,
        rounds: ROUNDS,
        loadAverage: round(load, 2),
        cores: os.cpus().length,
        baselineRps: baseline.requestsPerSecond,
        publishRps: publish.requestsPerSecond,
        publishVsBaseline: round(ratio, 3),
        publishP50Ms: publish.p50Ms,
        publishP99Ms: publish.p99Ms,
        baselineP99Ms: baseline.p99Ms,
        batchEventsPerSecond,
        batchP99Ms: batchRun.p99Ms,
        errors: baseline.errors + publish.errors + batchRun.errors,
        non2xx: baseline.non2xx + publish.non2xx + batchRun.non2xx,
        peakRssMb: { server: round(memory.peak.serverMb, 0), worker: round(memory.peak.workerMb, 0) },
        pass: ratio >= 0.85 && publish.p99Ms < 100 && batchEventsPerSecond >= 20_000,
      }),
    );
  } finally {
    baselineChild?.kill('SIGTERM');
    await pool.end();
    herald.kill('SIGTERM');
    await Promise.race([exited, sleep(15_000)]);
    await server.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
