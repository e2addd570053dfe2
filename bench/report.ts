/**
 * What `npm run bench` writes into docs/BENCHMARKS.md: the section between the "latest run"
 * markers is replaced by this run's table (each Herald figure beside the peer or baseline
 * measured in the same run). Everything else in the file (method, machine) is written by hand
 * and left as it is. Earlier runs are in git (`git log -p -- docs/BENCHMARKS.md`), not the doc.
 *
 * The benchmarks' JSON reports are read defensively: a field a benchmark no longer prints shows
 * as "—" instead of failing a 30-minute run at its last step.
 */
import fs from 'node:fs';
import { fmt } from './common';

export const LATEST_BEGIN =
  '<!-- latest-run:begin (npm run bench replaces everything up to latest-run:end) -->';
export const LATEST_END = '<!-- latest-run:end -->';

export type StepId = 'engine' | 'backlog' | 'publish' | 'api' | 'dashboard' | 'lookup' | 'replica';

export interface StepReport {
  id: StepId;
  title: string;
  command: string;
  ok: boolean;
  seconds: number;
  /** The benchmark's printed output without its JSON line. */
  output: string;
  summary: unknown;
}

export interface RunInfo {
  when: string;
  commit: string;
  machine: string;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' ? (v as Json) : {});
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const list = (v: unknown): Json[] => (Array.isArray(v) ? v.map(obj) : []);

const times = (v: number | undefined) => (v === undefined ? '—' : `×${fmt(v, 2)}`);
const pct = (v: number | undefined) => (v === undefined ? '—' : `${fmt(v * 100, 1)} %`);
const ms = (v: number | undefined, digits = 2) => (v === undefined ? '—' : `${fmt(v, digits)} ms`);
const verdict = (met: unknown) => (met === true ? 'met' : met === false ? '**not met**' : '—');

/** Herald, graphile-worker (best and defaults) and pg-boss rows of a bench:engine report. */
function engine(summary: unknown) {
  const s = obj(summary);
  const rows = list(s.results);
  const find = (test: (name: string) => boolean) => rows.find((r) => test(String(r.system ?? '')));
  const herald = find((n) => n.startsWith('herald'));
  const best = find((n) => n === s.bestGraphile);
  const defaults = find((n) => n === 'graphile-worker (defaults)');
  const boss = find((n) => n.startsWith('pg-boss'));
  const p50 = (r: Json | undefined) => num(obj(r?.latencyMs).p50);
  return { s, herald, best, defaults, boss, p50, ratios: obj(s.ratios), targets: obj(s.targets) };
}

function summaryRows(steps: StepReport[]): string[][] {
  const of = (id: StepId) => steps.find((x) => x.id === id)?.summary;
  const rows: string[][] = [];
  const e = engine(of('engine'));
  if (e.herald) {
    const s = e.s;
    rows.push([
      `delivery throughput, ${fmt(num(s.jobs))} jobs, concurrency ${fmt(num(s.concurrency))} (median of ${fmt(num(s.rounds))} alternating rounds)`,
      `${fmt(num(e.herald.throughput))} jobs/s`,
      `${e.best?.system ?? 'graphile-worker'}: ${fmt(num(e.best?.throughput))}; defaults ${fmt(num(e.defaults?.throughput))}; pg-boss ${fmt(num(e.boss?.throughput))}`,
      `${times(num(e.ratios.throughputVsBestGraphile))} (pg-boss ${times(num(e.ratios.throughputVsPgBoss))})`,
      `≥ ×1 — ${verdict(e.targets.throughputAtLeastBestGraphile)}`,
    ]);
    rows.push([
      'publish → handler latency p50, same run',
      ms(e.p50(e.herald)),
      `graphile-worker defaults ${ms(e.p50(e.defaults))} / best ${ms(e.p50(e.best))}`,
      `${times(num(e.ratios.latencyP50VsGraphileDefaults))} / ${times(num(e.ratios.latencyP50VsBestGraphile))}`,
      `≤ graphile — ${verdict(e.targets.latencyP50AtMostGraphile)}`,
    ]);
    const cost = (r: Json | undefined) =>
      `${fmt(num(r?.walBytesPerJob))} B WAL, ${fmt(num(r?.clientCpuUsPerJob), 1)} µs client / ${fmt(num(r?.serverCpuUsPerJob), 1)} µs server CPU`;
    if (num(e.herald.walBytesPerJob) !== undefined)
      rows.push(['cost per drained job', cost(e.herald), `best graphile: ${cost(e.best)}`, '—', '—']);
  }
  const b = engine(of('backlog'));
  if (b.herald)
    rows.push([
      `draining a ${fmt(num(b.s.jobs))} backlog`,
      `${fmt(num(b.herald.throughput))} jobs/s`,
      `${b.best?.system ?? 'graphile-worker'}: ${fmt(num(b.best?.throughput))}`,
      times(num(b.ratios.throughputVsBestGraphile)),
      '—',
    ]);
  const p = obj(of('publish'));
  const tx = obj(p.txPerSec);
  if (num(tx.herald) !== undefined)
    rows.push([
      `publish in-process, ${fmt(num(p.clients))} publishers (${fmt(num(p.rounds))} rounds)`,
      `${fmt(num(tx.herald))} tx/s; with a waiting worker (NOTIFY every commit) ${fmt(num(tx.heraldNotify))}`,
      `plain INSERTs of the same rows: ${fmt(num(tx.plain))} tx/s`,
      `${pct(num(obj(p.ratios).heraldVsPlain))} / ${pct(num(obj(p.ratios).heraldNotifyVsPlain))}`,
      `≥ 80 % — ${verdict(obj(p.targets).heraldAtLeast80PercentOfPlain)}`,
    ]);
  const a = obj(of('api'));
  if (num(a.publishRps) !== undefined) {
    const ratio = num(a.publishVsBaseline);
    const p99 = num(a.publishP99Ms);
    const batch = num(a.batchEventsPerSecond);
    const rss = obj(a.peakRssMb);
    rows.push(
      [
        `HTTP publish, ${fmt(num(a.connections))} connections (${fmt(num(a.rounds))} × ${fmt(num(a.seconds))} s)`,
        `${fmt(num(a.publishRps))} req/s, p99 ${ms(p99, 0)}`,
        `bare one-INSERT endpoint: ${fmt(num(a.baselineRps))} req/s, p99 ${ms(num(a.baselineP99Ms), 0)}`,
        pct(ratio),
        `≥ 85 % — ${verdict(ratio === undefined ? undefined : ratio >= 0.85)}; p99 < 100 ms — ${verdict(p99 === undefined ? undefined : p99 < 100)}`,
      ],
      [
        'HTTP batch, 1,000 events per request',
        `${fmt(batch)} events/s`,
        '—',
        '—',
        `≥ 20,000 — ${verdict(batch === undefined ? undefined : batch >= 20_000)}`,
      ],
      [
        'memory at full HTTP load (RSS)',
        `web server ${fmt(num(rss.server))} MB, worker ${fmt(num(rss.worker))} MB`,
        '—',
        '—',
        '—',
      ],
    );
  }
  const d = obj(of('dashboard'));
  const queries = list(d.results);
  const overviews = queries.filter((r) => String(r.label).startsWith('overview')).map((r) => num(r.p95) ?? 0);
  if (overviews.length > 0) {
    const feed = queries.find((r) => String(r.label).startsWith('feed'));
    rows.push([
      `overview API at ${fmt(num(d.events))} events, p95`,
      `${fmt(Math.min(...overviews), 1)}–${fmt(Math.max(...overviews), 1)} ms by range; live feed's first page ${ms(num(feed?.p95), 1)}`,
      '—',
      '—',
      `< 150 ms — ${verdict(d.pass)}`,
    ]);
  }
  const rep = obj(of('replica'));
  const perSecond = obj(rep.publishesPerSecond);
  if (num(perSecond.none) !== undefined) {
    const ratios = obj(rep.ratios);
    const p95 = obj(rep.dashboardP95Ms);
    rows.push([
      `publishing under dashboard load at ${fmt(num(rep.events))} events, reads on a streaming replica${rep.pinned ? ' (servers pinned to a core each)' : ''}`,
      `${fmt(num(perSecond.replica))} publishes/s, dashboard p95 ${ms(num(p95.replica), 1)}`,
      `no dashboard load ${fmt(num(perSecond.none))}; reads on the primary ${fmt(num(perSecond.primary))} (${pct(num(ratios.primaryVsNone))}), p95 ${ms(num(p95.primary), 1)}`,
      pct(num(ratios.replicaVsNone)),
      `≥ 90 % — ${verdict(obj(rep.targets).replicaWithin10PercentOfNone)}`,
    ]);
  }
  const l = obj(of('lookup'));
  if (num(l.lookupEmailP95Ms) !== undefined)
    rows.push(
      [
        `lookup by email / order id at ${fmt(num(l.events))} events, p95`,
        `${ms(num(l.lookupEmailP95Ms), 1)} / ${ms(num(l.lookupOrderP95Ms), 1)}`,
        '—',
        '—',
        '< 100 ms',
      ],
      [
        'dead-letter page, p95 (filtered)',
        `${ms(num(l.dlqPageP95Ms), 1)} (${ms(num(l.dlqFilteredP95Ms), 1)})`,
        '—',
        '—',
        '< 100 ms',
      ],
      [
        `replay all matching, ${fmt(num(l.bulkReplayed))} dead, worker running`,
        `${fmt((num(l.bulkMs) ?? Number.NaN) / 1000, 1)} s (${fmt(num(l.completedMeanwhile))} delivered meanwhile)`,
        '—',
        '—',
        `< 10 s — ${verdict(l.pass)} (all lookup targets)`,
      ],
    );
  return rows;
}

const markdownTable = (header: string[], rows: string[][]) =>
  [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');

/** The "latest run" section: summary table, then each benchmark's own table, folded. */
export function latestSection(run: RunInfo, steps: StepReport[]): string {
  const parts = [
    `## Latest full run: ${run.when} UTC`,
    '',
    `\`npm run bench\` at commit ${run.commit}: ${run.machine}`,
    '',
    markdownTable(['what', 'Herald', 'peer / baseline (same run)', 'ratio', 'target'], summaryRows(steps)),
    '',
  ];
  for (const step of steps) {
    const tables = step.output.split('\n').filter((line) => line.startsWith('|'));
    const status = step.ok ? `${step.seconds} s` : `**failed** after ${step.seconds} s`;
    const head = `${step.title}: <code>${step.command}</code> — ${status}`;
    // A benchmark that prints no table (bench:lookup) has all its figures in the summary above.
    if (step.ok && tables.length === 0) parts.push(`${head.replace(/<\/?code>/g, '`')}`, '');
    else
      parts.push(
        `<details><summary>${head}</summary>`,
        '',
        ...(step.ok ? tables : ['```', ...step.output.trim().split('\n').slice(-15), '```']),
        '',
        '</details>',
        '',
      );
  }
  return parts.join('\n');
}

/** Refuses early, before half an hour of benchmarks, when the doc lacks the markers. */
export function checkDoc(file: string): void {
  const doc = fs.readFileSync(file, 'utf8');
  for (const marker of [LATEST_BEGIN, LATEST_END])
    if (!doc.includes(marker)) throw new Error(`${file} lacks the line ${marker}; restore it before running`);
}

/** Replaces the latest-run section, leaving the rest of the doc alone. */
export function updateDoc(file: string, latest: string): void {
  checkDoc(file);
  const doc = fs.readFileSync(file, 'utf8');
  const begin = doc.indexOf(LATEST_BEGIN) + LATEST_BEGIN.length;
  fs.writeFileSync(
    file,
    `${doc.slice(0, begin)}\n\n${latest.trim()}\n\n${doc.slice(doc.indexOf(LATEST_END))}`,
  );
}
