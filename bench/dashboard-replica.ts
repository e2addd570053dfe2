/**
 * `npm run bench:dashboard-replica [-- --events 1000000 --rounds 3 --seconds 8 --publishers 16 --readers 4]`
 *
 * Issue 23 item 5: does moving the console's reads to a streaming replica keep publishing on the
 * primary at full speed? The dashboard mode of the dashboard benchmark, with a real primary and a
 * real hot standby (test/helpers/standby.ts: the same binaries as DATABASE_URL's server, or the
 * embedded one). Three phases per round, their order rotated every round:
 *   none      publishers only: --publishers clients each committing one `herald.publish()` per
 *             transaction as fast as they can, on the primary;
 *   primary   the same publishers, plus --readers dashboard users (in a process of their own,
 *             bench/dashboard-readers.ts) each looping over the overview, the events explorer's
 *             newest page of a channel and a lookup by customer email, all on the primary:
 *             everything on one server;
 *   replica   the same readers on the standby (HERALD_READ_DATABASE_URL), publishers on the primary.
 * Reported per mode: publish throughput (median of rounds), dashboard p95 over every read of the
 * mode, and the standby's largest replay lag seen during the replica phases. The target:
 * replica throughput within 10 % of none.
 *
 * Data: --events seeded history (scripts/seed-scale.ts) on the primary, streamed to the standby.
 * Both servers run on this machine and share its cores: a replica on its own host takes its read
 * CPU off the primary entirely, so here the replica mode is the pessimistic case.
 * The last line is one JSON object.
 */
import { execFileSync, spawn } from 'node:child_process';
import readline from 'node:readline';
import pg from 'pg';
import { createPool } from '../lib/db/client';
import { parseLsn } from '../lib/db/lsn';
import { startReplicatedPair } from '../test/helpers/standby';
import { fmt, numberFlag, percentile, repoRoot, round, sleep, table } from './common';

const EVENTS = Math.floor(numberFlag('events', 1_000_000));
const ROUNDS = Math.floor(numberFlag('rounds', 3));
const SECONDS = numberFlag('seconds', 8);
const WARMUP_SECONDS = numberFlag('warmup-seconds', 2);
const PUBLISHERS = Math.floor(numberFlag('publishers', 16));
const READERS = Math.floor(numberFlag('readers', 4));
/**
 * `--pin`: the primary and the publishers (this process) on CPU 0, the standby and the dashboard
 * readers on CPU 1 (taskset, every thread; backends forked later inherit it from their
 * postmaster). On a 2-core machine this is the nearest thing to a replica on a host of its own:
 * dashboard reads on the replica then take no CPU from the primary or its publishers, which is
 * the deployment the replica setting is for. The publishers are pinned too: left free, they
 * spread over CPU 1 when it is idle (no dashboard) and lose it when the readers run, which
 * measures this machine's scheduler, not the primary. Without --pin both servers share every
 * core, the pessimistic case.
 */
const PIN = process.argv.includes('--pin');

type Mode = 'none' | 'primary' | 'replica';
const MODES: Mode[] = ['none', 'primary', 'replica'];

function seed(url: string): Promise<void> {
  console.log(`seeding ${fmt(EVENTS)} events on the primary (streamed to the standby)…`);
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'scripts/seed-scale.ts', '--events', String(EVENTS)],
      {
        cwd: repoRoot,
        env: { ...process.env, DATABASE_URL: url },
        stdio: 'inherit',
      },
    );
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`seed-scale exited with ${code}`)),
    );
  });
}

/**
 * The dashboard's readers run in a child process (bench/dashboard-readers.ts), as the console
 * runs in web servers apart from the application that publishes: in this process their result
 * parsing would take the publishers' event loop and measure the client, not PostgreSQL.
 */
function startReaders(url: string) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'bench/dashboard-readers.ts', '--url', url, '--readers', String(READERS)],
    { cwd: repoRoot, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  // Pinned runs: the console's process sits with the standby, as on the replica's side of a network.
  if (PIN && child.pid) pinProcess(child.pid, 1);
  const lines = readline.createInterface({ input: child.stdout });
  let onLine: ((line: string) => void) | undefined;
  lines.on('line', (line) => onLine?.(line));
  const next = (match: (line: string) => boolean) =>
    new Promise<string>((resolve, reject) => {
      onLine = (line) => {
        if (match(line)) resolve(line);
      };
      child.once('exit', (code) => reject(new Error(`dashboard readers exited with ${code}`)));
    });
  return {
    ready: next((l) => l === 'ready'),
    measure: () => child.stdin.write('measure\n'),
    async stop(): Promise<number[]> {
      const result = next((l) => l.startsWith('{'));
      child.stdin.write('stop\n');
      return (JSON.parse(await result) as { reads: number[] }).reads;
    },
  };
}

interface Phase {
  mode: Mode;
  publishesPerSecond: number;
  reads: number[];
  maxLagBytes: number;
}

async function phase(mode: Mode, urls: { primary: string; replica: string }, lag: LagProbe) {
  let running = true;
  let measuring = false;
  let published = 0;
  const publishers = Array.from({ length: PUBLISHERS }, async (_, p) => {
    const client = new pg.Client({
      connectionString: urls.primary,
      application_name: 'herald-bench-publish',
    });
    await client.connect();
    try {
      for (let i = 0; running; i++) {
        await client.query(`SELECT herald.publish('order.approved', $1::jsonb, $2)`, [
          JSON.stringify({ orderId: `b-${p}-${i}`, customer: { email: `bench${p}@example.com` }, total: 1 }),
          `order:b-${p}-${i}`,
        ]);
        if (measuring) published++;
      }
    } finally {
      await client.end();
    }
  });
  const readers = mode === 'none' ? null : startReaders(mode === 'replica' ? urls.replica : urls.primary);
  await readers?.ready;
  await sleep(WARMUP_SECONDS * 1000);
  measuring = true;
  readers?.measure();
  const started = performance.now();
  let maxLagBytes = 0;
  while (performance.now() - started < SECONDS * 1000) {
    await sleep(250);
    if (mode === 'replica') maxLagBytes = Math.max(maxLagBytes, await lag());
  }
  measuring = false;
  const elapsed = (performance.now() - started) / 1000;
  const reads = (await readers?.stop()) ?? [];
  running = false;
  await Promise.all(publishers);
  return { mode, publishesPerSecond: published / elapsed, reads, maxLagBytes } satisfies Phase;
}

type LagProbe = () => Promise<number>;

const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : 0;
};

/** Pins a process and all its threads (Node's libuv pool, V8's) to one CPU. */
function pinProcess(pid: number, cpu: number) {
  execFileSync('taskset', ['-a', '-pc', String(cpu), String(pid)], { stdio: 'ignore' });
}

/** Pins a postmaster and every process it has started to one CPU. */
function pin(postmaster: number, cpu: number) {
  const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(postmaster)], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  for (const pid of [postmaster, ...children.map(Number)]) pinProcess(pid, cpu);
}

async function main() {
  const pair = await startReplicatedPair();
  const primaryPool = createPool(pair.primaryUrl, { max: 2, applicationName: 'herald-bench-admin' });
  const replicaPool = createPool(pair.standbyUrl, { max: 2, applicationName: 'herald-bench-admin' });
  try {
    await seed(pair.primaryUrl);
    // What autovacuum does after a bulk load; the visibility map streams to the standby too.
    await primaryPool.query('VACUUM (ANALYZE) herald.events, herald.deliveries, herald.attempt_log');
    await pair.caughtUp(600_000);
    if (PIN) {
      pin(pair.pids().primary, 0);
      pin(pair.pids().standby, 1);
      pinProcess(process.pid, 0);
      console.log('pinned: primary and publishers on CPU 0, standby and dashboard readers on CPU 1');
    }
    const { rows: v } = await primaryPool.query<{ v: string }>(
      `SELECT current_setting('server_version') AS v`,
    );
    // How far the standby's replay is behind the primary's flushed WAL, in bytes (positions
    // are comparable across the two servers; the timestamp-based lag is the console's job).
    const lag: LagProbe = async () => {
      const [p, s] = await Promise.all([
        primaryPool.query<{ l: string }>('SELECT pg_current_wal_flush_lsn()::text AS l'),
        replicaPool.query<{ l: string }>('SELECT pg_last_wal_replay_lsn()::text AS l'),
      ]);
      const a = parseLsn(p.rows[0]?.l);
      const b = parseLsn(s.rows[0]?.l);
      return a !== null && b !== null && a > b ? Number(a - b) : 0;
    };
    const urls = { primary: pair.primaryUrl, replica: pair.standbyUrl };
    const phases: Phase[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const order = MODES.map((_, i) => MODES[(i + r) % MODES.length]!);
      for (const mode of order) {
        const result = await phase(mode, urls, lag);
        phases.push(result);
        console.log(
          `round ${r + 1} ${mode.padEnd(7)} ${fmt(result.publishesPerSecond)} publishes/s, ${fmt(result.reads.length)} dashboard reads`,
        );
        await pair.caughtUp(120_000);
      }
    }
    const of = (mode: Mode) => phases.filter((p) => p.mode === mode);
    const throughput = (mode: Mode) => round(median(of(mode).map((p) => p.publishesPerSecond)), 0);
    const p95 = (mode: Mode) => {
      const all = of(mode)
        .flatMap((p) => p.reads)
        .sort((a, b) => a - b);
      return all.length ? round(percentile(all, 95), 1) : null;
    };
    const none = throughput('none');
    const onPrimary = throughput('primary');
    const onReplica = throughput('replica');
    const maxLagBytes = Math.max(0, ...of('replica').map((p) => p.maxLagBytes));
    // Each round's ratio against the no-dashboard phase of the same round: the machine's speed
    // drifts between rounds more than the effect measured, so medians of ratios compare like
    // with like.
    const roundRatio = (mode: Mode) =>
      round(
        median(
          Array.from({ length: ROUNDS }, (_, r) => {
            const inRound = phases.slice(r * MODES.length, (r + 1) * MODES.length);
            const none = inRound.find((p) => p.mode === 'none')!.publishesPerSecond;
            return inRound.find((p) => p.mode === mode)!.publishesPerSecond / none;
          }),
        ),
        3,
      );
    const replicaRatio = roundRatio('replica');
    const primaryRatio = roundRatio('primary');
    console.log(
      table(
        ['mode', 'publishes/s (median)', 'vs no dashboard, median of rounds', 'dashboard p95 ms'],
        [
          ['no dashboard load', fmt(none), '100 %', '—'],
          [
            'dashboard on the primary',
            fmt(onPrimary),
            `${fmt(primaryRatio * 100, 1)} %`,
            fmt(p95('primary') ?? 0, 1),
          ],
          [
            'dashboard on the replica',
            fmt(onReplica),
            `${fmt(replicaRatio * 100, 1)} %`,
            fmt(p95('replica') ?? 0, 1),
          ],
        ],
      ),
    );
    console.log(
      `standby replay lag during the replica phases: at most ${fmt(maxLagBytes / 1024)} KiB behind`,
    );
    console.log(
      JSON.stringify({
        bench: 'dashboard-replica',
        kind: pair.kind,
        pinned: PIN,
        postgres: v[0]?.v,
        events: EVENTS,
        rounds: ROUNDS,
        seconds: SECONDS,
        publishers: PUBLISHERS,
        readers: READERS,
        publishesPerSecond: { none, primary: onPrimary, replica: onReplica },
        dashboardP95Ms: { primary: p95('primary'), replica: p95('replica') },
        // Medians of each round's ratio to that round's no-dashboard phase.
        ratios: { replicaVsNone: replicaRatio, primaryVsNone: primaryRatio },
        maxReplayLagBytes: maxLagBytes,
        targets: { replicaWithin10PercentOfNone: replicaRatio >= 0.9 },
      }),
    );
  } finally {
    await primaryPool.end();
    await replicaPool.end();
    await pair.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
