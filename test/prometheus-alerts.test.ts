import fs from 'node:fs';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createPublisher } from '../lib/publish';
import { subscriptionsFor } from '../lib/subscriptions/define';
import { Maintenance } from '../worker/maintenance';
import { testChannels } from './fixtures/channels';
import { createTestDatabase, type TestDatabase, waitFor } from './helpers/db';
import { inProcessWorker } from './helpers/in-process-worker';

/**
 * Issue #21 item 6: docs/prometheus-alerts.yml and docs/grafana-dashboard.json are checked
 * against a running Herald: the rules parse as YAML into Prometheus's rule-file shape, cover the
 * same conditions as Herald's own alert kinds, and every metric the rules and the dashboard's
 * queries name is in /api/metrics (scraped through the route, after a worker delivered, failed and
 * dead-lettered something, with a rate limit set and a circuit open).
 */
const TOKEN = 'metrics-token-for-tests-0123456789';
const { publishMany } = createPublisher(testChannels);
const subscribe = subscriptionsFor(testChannels);
let t: TestDatabase;
let GET: (request: Request) => Promise<Response>;

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
  annotations: { summary: string; description?: string };
}

const rules = parseYaml(fs.readFileSync('docs/prometheus-alerts.yml', 'utf8')) as {
  groups: { name: string; rules: Rule[] }[];
};
const dashboard = JSON.parse(fs.readFileSync('docs/grafana-dashboard.json', 'utf8')) as {
  panels: { id: number; title: string; targets: { expr: string }[] }[];
  templating: { list: { query: unknown }[] };
};

/** Metric names in a PromQL expression (Herald's all start with herald_). */
const metricNames = (expr: string) => expr.match(/\bherald_[a-z0-9_]+\b/g) ?? [];

/** Balanced (), {} and [] outside quoted strings: what a typo in a hand-written query breaks first. */
function balanced(expr: string): boolean {
  const stack: string[] = [];
  const pairs: Record<string, string> = { ')': '(', '}': '{', ']': '[' };
  for (const c of expr.replace(/"[^"]*"/g, '""')) {
    if ('({['.includes(c)) stack.push(c);
    else if (c in pairs && stack.pop() !== pairs[c]) return false;
  }
  return stack.length === 0;
}

beforeAll(async () => {
  t = await createTestDatabase();
  process.env.DATABASE_URL = t.url;
  process.env.HERALD_METRICS_TOKEN = TOKEN;
  ({ GET } = await import('../app/api/metrics/route'));
});
afterAll(() => t?.drop());

describe('Prometheus rules and Grafana dashboard', () => {
  it('the rules are a Prometheus rule file covering every Herald alert kind', () => {
    expect(rules.groups).toHaveLength(1);
    const all = rules.groups[0]!.rules;
    for (const rule of all) {
      expect(rule.alert).toMatch(/^Herald[A-Z][A-Za-z]+$/);
      expect(typeof rule.expr).toBe('string');
      expect(balanced(rule.expr), rule.alert).toBe(true);
      expect(metricNames(rule.expr).length, rule.alert).toBeGreaterThan(0);
      if (rule.for !== undefined) expect(rule.for).toMatch(/^\d+[smh]$/);
      expect(['critical', 'warning']).toContain(rule.labels.severity);
      expect(rule.annotations.summary.length).toBeGreaterThan(10);
      expect(Object.keys(rule).sort()).toEqual(
        expect.arrayContaining(['alert', 'annotations', 'expr', 'labels']),
      );
    }
    // The six conditions of lib/alerts/kinds.ts, each with its default threshold.
    const byName = new Map(all.map((r) => [r.alert, r.expr]));
    expect(byName.get('HeraldDeliveriesStalled')).toMatch(/\[10m\]/);
    expect(byName.get('HeraldOldestDueTooOld')).toMatch(/> 900$/);
    expect(byName.get('HeraldFailureRateHigh')).toMatch(/> 0\.20[\s\S]*>= 20/);
    expect(byName.get('HeraldDeadLettersGrowing')).toMatch(/\[15m\]\)\) > 10$/);
    expect(byName.get('HeraldNoWorkerAlive')).toMatch(/herald_workers_alive/);
    expect(byName.get('HeraldProviderCircuitOpen')).toBe('herald_circuit_open == 1');
  });

  it('the dashboard is Grafana JSON with a query in every panel', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels) {
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets) expect(balanced(target.expr), panel.title).toBe(true);
    }
  });

  it('every metric the rules and the dashboard name is in /api/metrics', async () => {
    const worker = inProcessWorker(t, [
      subscribe({
        name: 'watched',
        channel: 'test.event',
        retry: { maxAttempts: 1 },
        ratePerSecond: 1_000,
        handler: async (p) => {
          if (p.n < 2) throw new Error('nope');
        },
      }),
    ]);
    await worker.start();
    await publishMany(
      t.db,
      Array.from({ length: 6 }, (_, n) => ({ channel: 'test.event' as const, payload: { n } })),
    );
    await waitFor('outcomes', async () => {
      const [r] = await t.query(
        `SELECT count(*)::int AS n FROM herald.deliveries WHERE state IN ('pending', 'running')`,
      );
      return r!.n === 0;
    });
    await t.query(
      `INSERT INTO herald.circuits (subscription, state, opened_at, next_probe_at, probe_interval_ms)
       VALUES ('watched', 'open', now(), now() + interval '1 minute', 5000)`,
    );
    const m = new Maintenance({
      pool: t.pool,
      log: pino({ level: 'silent' }),
      retentionDays: 14,
      deadRetentionDays: 90,
      pruneIntervalMs: 3_600_000,
      rollupIntervalMs: 3_600_000,
    });
    const text = await waitFor(
      'final totals',
      async () => {
        await m.rollUp();
        const response = await fetchMetrics();
        return /herald_attempts_dead_total\{subscription="watched"\} 2/.test(response) ? response : undefined;
      },
      20_000,
    );
    await worker.stop();
    const exposed = new Set<string>();
    for (const family of parsePrometheusTextFormat(text)) {
      exposed.add(family.name);
      if (family.type === 'HISTOGRAM')
        for (const suffix of ['_bucket', '_sum', '_count']) exposed.add(family.name + suffix);
    }
    const named = new Set([
      ...rules.groups.flatMap((g) => g.rules.flatMap((r) => metricNames(r.expr))),
      ...dashboard.panels.flatMap((p) => p.targets.flatMap((x) => metricNames(x.expr))),
      ...dashboard.templating.list.flatMap((v) => (typeof v.query === 'string' ? metricNames(v.query) : [])),
    ]);
    expect(named.size).toBeGreaterThan(8);
    const missing = [...named].filter((name) => !exposed.has(name));
    expect(missing, `named but not in /api/metrics:\n${text}`).toEqual([]);
    // And with samples for this stack: the gauges the rules compare carry values.
    expect(text).toContain('herald_circuit_open{subscription="watched"} 1');
    expect(text).toContain('herald_subscription_rate_limit_per_second{subscription="watched"} 1000');
    expect(text).toContain('herald_subscription_concurrency{subscription="watched"} 10');
  }, 60_000);
});

async function fetchMetrics(): Promise<string> {
  const response = await GET(
    new Request('http://herald.test/api/metrics', { headers: { authorization: `Bearer ${TOKEN}` } }),
  );
  expect(response.status).toBe(200);
  return response.text();
}
