import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher } from '../lib/publish';
import { subscriptionsFor } from '../lib/subscriptions/define';
import { Maintenance } from '../worker/maintenance';
import { testChannels } from './fixtures/channels';
import { createTestDatabase, type TestDatabase, waitFor } from './helpers/db';
import { inProcessWorker } from './helpers/in-process-worker';

const TOKEN = 'metrics-token-for-tests-0123456789';
const { publishMany } = createPublisher(testChannels);
const subscribe = subscriptionsFor(testChannels);
let t: TestDatabase;
let GET: (request: Request) => Promise<Response>;

beforeAll(async () => {
  t = await createTestDatabase();
  process.env.DATABASE_URL = t.url;
  process.env.HERALD_METRICS_TOKEN = TOKEN;
  ({ GET } = await import('../app/api/metrics/route'));
});
afterAll(() => t?.drop());

const scrape = (token?: string) =>
  GET(
    new Request('http://herald.test/api/metrics', {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    }),
  );

describe('GET /api/metrics', () => {
  it('refuses requests without the token', async () => {
    expect((await scrape()).status).toBe(401);
    const wrong = await scrape('wrong-token-wrong-token-wrong');
    expect(wrong.status).toBe(401);
    // The API's error shape and headers (lib/http/errors.ts).
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer realm="herald-metrics"');
    expect(wrong.headers.get('cache-control')).toBe('no-store');
    expect(await wrong.json()).toEqual({
      error: { code: 'unauthorized', message: 'send the metrics token as Authorization: Bearer <token>' },
    });
  });

  it('reports totals, queue depth, lag and durations in a format Prometheus parses', async () => {
    const sub = subscribe({
      name: 'metered',
      channel: 'test.event',
      retry: { maxAttempts: 1 },
      handler: async (p) => {
        if (p.n < 3) throw new Error('nope');
      },
    });
    const worker = inProcessWorker(t, [sub]);
    await worker.start();
    await publishMany(
      t.db,
      Array.from({ length: 10 }, (_, n) => ({ channel: 'test.event' as const, payload: { n } })),
    );
    await waitFor('outcomes', async () => {
      const [r] = await t.query(
        `SELECT count(*)::int AS n FROM herald.deliveries WHERE state IN ('pending', 'running')`,
      );
      return r!.n === 0;
    });
    await worker.stop();
    // Something still waiting, for the depth and lag gauges.
    await t.query(
      `INSERT INTO herald.subscriptions (name, channel_pattern, paused) VALUES ('held', 'test.other', true)`,
    );
    await t.query(`SELECT herald.publish('test.other', '{"n": 1}')`);
    await t.query(
      `UPDATE herald.deliveries SET run_at = now() - interval '30 seconds' WHERE subscription = 'held'`,
    );

    const m = new Maintenance({
      pool: t.pool,
      log: pino({ level: 'silent' }),
      retentionDays: 14,
      deadRetentionDays: 90,
      pruneIntervalMs: 3_600_000,
      rollupIntervalMs: 3_600_000,
    });
    // Totals count seconds once they are final (past the 5 s recount window).
    const families = await waitFor(
      'final totals',
      async () => {
        await m.rollUp();
        const response = await scrape(TOKEN);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
        const parsed = parsePrometheusTextFormat(await response.text());
        const dead = parsed.find((f) => f.name === 'herald_attempts_dead_total');
        return dead?.metrics.some((x) => x.labels?.subscription === 'metered' && x.value === '3')
          ? parsed
          : undefined;
      },
      20_000,
    );
    const family = (name: string) => families.find((f) => f.name === name)!;
    const value = (name: string, labels: Record<string, string>) =>
      family(name).metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v))?.value;

    expect(family('herald_events_published_total').type).toBe('COUNTER');
    expect(value('herald_events_published_total', { channel: 'test.event' })).toBe('10');
    expect(value('herald_attempts_succeeded_total', { subscription: 'metered' })).toBe('7');
    expect(value('herald_deliveries', { subscription: 'held', state: 'due' })).toBe('1');
    expect(value('herald_deliveries', { subscription: 'metered', state: 'dead' })).toBe('3');
    expect(
      Number(value('herald_oldest_due_delivery_age_seconds', { subscription: 'held' })),
    ).toBeGreaterThanOrEqual(29);
    // The provider circuit breaker: closed for both (no provider failures here).
    expect(family('herald_circuit_open').type).toBe('GAUGE');
    expect(value('herald_circuit_open', { subscription: 'metered' })).toBe('0');
    const histogram = family('herald_attempt_duration_seconds');
    expect(histogram.type).toBe('HISTOGRAM');
    expect(Object.keys(histogram.metrics[0]?.buckets ?? {})).toEqual(
      expect.arrayContaining(['0.005', '30', '+Inf']),
    );
    // This parser keeps only the first label set of a labelled histogram; check the rest as text.
    const text = await (await scrape(TOKEN)).text();
    expect(text).toContain('herald_attempt_duration_seconds_count{subscription="metered"} 10');
    expect(text).toMatch(/herald_attempt_duration_seconds_bucket\{subscription="metered",le="\+Inf"\} 10/);
    for (const line of text.trim().split('\n')) {
      expect(line).toMatch(
        /^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{([a-z_]+="[^"]*",?)*\})? (-?[0-9.e+]+|\+Inf|NaN))$/,
      );
    }
  });
});
