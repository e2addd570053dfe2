/**
 * `npm run bench`: every benchmark, one after the other on the same PostgreSQL (DATABASE_URL,
 * else each opens the embedded one). Each benchmark prints a table and, as its last line, one
 * JSON object. In docs/BENCHMARKS.md the runner then replaces the "latest full run" section
 * with this run's figures, each beside the peer or baseline measured in the same run
 * (bench/report.ts); the rest of the doc is written by hand.
 * Budget: under 30 minutes here, most of it seeding ten million events once (the dashboard
 * benchmark keeps that database for the next run).
 *
 * `--quick` runs everything at a small scale (for trying the runner itself) and prints the
 * section and the row instead of writing them into the doc.
 */
import { execFileSync, spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './common';
import { checkDoc, latestSection, type StepId, type StepReport, updateDoc } from './report';

const quick = process.argv.includes('--quick');
const scale = quick ? 200_000 : 10_000_000;

interface Step {
  id: StepId;
  title: string;
  why: string;
  script: string;
  args: string[];
}

const steps: Step[] = [
  {
    id: 'engine',
    title: 'Engine: throughput and publish → handler latency',
    why: 'Herald, graphile-worker (defaults and localQueue 500 + batched completion) and pg-boss on the same database; no-op handler, concurrency 10 (FACTS.md method).',
    script: 'bench:engine',
    args: quick ? ['--jobs', '5000', '--latency-jobs', '200', '--rounds', '1'] : ['--rounds', '3'],
  },
  {
    id: 'backlog',
    title: 'Draining a 500,000-delivery backlog after an outage',
    why: 'Everything published while no worker ran, then one worker drains it; Herald against graphile-worker’s best configuration; peak RSS of the benchmark process while draining.',
    script: 'bench:engine',
    args: [
      '--jobs',
      quick ? '20000' : '500000',
      '--latency-jobs',
      '10',
      '--only',
      'herald,graphile_batched',
      '--drain-timeout-s',
      '600',
    ],
  },
  {
    id: 'publish',
    title: 'Publishing in-process: 32 concurrent publishers',
    why: 'Herald publish() in the caller’s transaction against the same rows written by plain INSERTs with no trigger or NOTIFY.',
    script: 'bench:publish',
    args: quick ? ['--seconds', '4'] : ['--rounds', '3', '--seconds', '6'],
  },
  {
    id: 'api',
    title: 'Publishing over HTTP',
    why: 'POST /api/v1/events against a bare route doing one INSERT, and the batch endpoint; autocannon, 32 connections, production build.',
    script: 'bench:api',
    args: quick ? ['--seconds', '3', '--rounds', '1'] : [],
  },
  {
    id: 'dashboard',
    title: `Dashboard queries at ${scale.toLocaleString('en')} events`,
    why: 'The overview API for every chart range and the live feed, on seeded history (kept for the next run).',
    script: 'bench:dashboard',
    args: ['--events', String(scale)],
  },
  {
    id: 'lookup',
    title: `Lookup, dead-letter queue and bulk replay at ${scale.toLocaleString('en')} events`,
    why: 'Lookup by email and order id, the DLQ page, and “replay all matching” over dead deliveries while a worker keeps delivering.',
    script: 'bench:lookup',
    // The dashboard benchmark's seeded database, so ten million events are seeded only once.
    args: ['--events', String(scale), '--database', 'herald_bench_dashboard'],
  },
  {
    id: 'replica',
    title: 'Publishing while the dashboard reads from a streaming replica',
    why: 'Publishers on the primary with no dashboard load, with the overview, explorer and lookup on the primary, and with them on a hot standby; alternating rounds, each server pinned to a core of its own.',
    script: 'bench:dashboard-replica',
    // Its own primary and standby (a base backup of the 10 M-event database would not fit the
    // run's budget), seeded with a million events.
    args: quick
      ? ['--events', '100000', '--rounds', '1', '--seconds', '3', '--pin']
      : ['--events', '1000000', '--rounds', '5', '--seconds', '6', '--pin'],
  },
];

interface Outcome {
  step: Step;
  ok: boolean;
  seconds: number;
  output: string;
  summary: unknown;
}

function run(step: Step): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', step.script, '--', ...step.args], {
      cwd: repoRoot,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c) => {
      output += c;
      process.stdout.write(c);
    });
    child.stderr.on('data', (c) => process.stderr.write(c));
    child.on('close', (code) => {
      const lines = output.trim().split('\n');
      // The report's JSON line is the benchmark's last; a server it stopped may still print a
      // line or two of its shutdown after it, so take the last line that is a JSON object.
      let summary: unknown = null;
      let at = -1;
      for (let i = lines.length - 1; i >= 0 && summary === null; i--) {
        if (!lines[i]!.startsWith('{')) continue;
        try {
          summary = JSON.parse(lines[i]!);
          at = i;
        } catch {
          // not the report
        }
      }
      resolve({
        step,
        ok: code === 0 && summary !== null,
        seconds: Math.round((Date.now() - started) / 1000),
        output: summary === null ? output : lines.filter((_, i) => i !== at).join('\n'),
        summary,
      });
    });
  });
}

/** The commit measured; `+` when the working tree had uncommitted changes. */
function commit(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--untracked-files=no') ? '+' : ''}`;
  } catch {
    return '—';
  }
}

function reports(outcomes: Outcome[]): StepReport[] {
  return outcomes.map((o) => ({
    id: o.step.id,
    title: o.step.title,
    command: `npm run ${o.step.script}${o.step.args.length ? ` -- ${o.step.args.join(' ')}` : ''}`,
    ok: o.ok,
    seconds: o.seconds,
    output: o.output,
    summary: o.summary,
  }));
}

async function main() {
  const file = path.join(repoRoot, 'docs', 'BENCHMARKS.md');
  if (!quick) checkDoc(file);
  const started = Date.now();
  const outcomes: Outcome[] = [];
  for (const step of steps) {
    process.stderr.write(`\n[bench] ${step.title}\n`);
    outcomes.push(await run(step));
  }
  const server = process.env.DATABASE_URL ? 'the PostgreSQL at DATABASE_URL' : 'the embedded PostgreSQL';
  const postgres = outcomes.map((o) => (o.summary as { postgres?: unknown } | null)?.postgres).find(Boolean);
  const info = {
    when: new Date().toISOString().replace('T', ' ').slice(0, 16),
    commit: commit(),
    machine:
      `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ` +
      `${server}${postgres ? ` (PostgreSQL ${String(postgres)})` : ''}; ` +
      `${Math.round((Date.now() - started) / 60_000)} minutes in all; load average at the end ` +
      `${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}.`,
  };
  const stepReports = reports(outcomes);
  const latest = latestSection(info, stepReports);
  if (quick) {
    process.stdout.write(`\n${latest}\n`);
  } else {
    updateDoc(file, latest);
    process.stderr.write(`\n[bench] wrote ${path.relative(repoRoot, file)}\n`);
  }
  process.exit(outcomes.every((o) => o.ok) ? 0 : 1);
}

void main();
