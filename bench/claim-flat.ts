/**
 * `npm run bench:claim [-- --database herald_bench_dashboard]`
 *
 * Is the hot path flat as history grows? One claim and one completion at a time, alternately
 * on a fresh empty database and on a database holding millions of finished deliveries (by
 * default the dashboard benchmark's ten-million-event database on the same server, migrated
 * first), so any load on the machine falls on both alike. Target (issue 9): within 20 % of the
 * empty history. The last line is one JSON object.
 */
import pg from 'pg';
import { migrateDatabase } from '../lib/db/migrate';
import { flag, numberFlag, openServer, percentile, round, withDatabase } from './common';

const HISTORY_DATABASE = flag('database') ?? 'herald_bench_dashboard';
const CYCLES = Math.floor(numberFlag('cycles', 600));

async function prepare(url: string): Promise<pg.Client> {
  await migrateDatabase(url);
  const client = new pg.Client({ connectionString: url, application_name: 'herald-bench-claim' });
  await client.connect();
  await client.query(
    `INSERT INTO herald.subscriptions (name, channel_pattern) VALUES ('bench-flat', 'bench.flat') ON CONFLICT DO NOTHING`,
  );
  await client.query(
    `SELECT herald.publish('bench.flat', jsonb_build_object('n', i)) FROM generate_series(1, $1) i`,
    [CYCLES + 50],
  );
  await client.query('VACUUM ANALYZE herald.deliveries');
  return client;
}

async function cycle(client: pg.Client): Promise<number> {
  const started = performance.now();
  const { rows } = await client.query(
    `SELECT delivery_id, attempt FROM herald.claim_many('bench-claim', ARRAY['bench-flat'], ARRAY[1])`,
  );
  await client.query(
    `SELECT herald.complete_many('bench-claim', ARRAY[$1::bigint], ARRAY[$2::int], ARRAY[NULL::timestamptz], ARRAY[NULL::jsonb])`,
    [rows[0].delivery_id, rows[0].attempt],
  );
  return performance.now() - started;
}

async function main() {
  const server = await openServer();
  try {
    const historyUrl = withDatabase(server.url, HISTORY_DATABASE);
    const emptyUrl = await server.createDatabase('claim_empty');
    const [empty, history] = [await prepare(emptyUrl), await prepare(historyUrl)];
    const [{ n: deliveries }] = (
      await history.query<{ n: number }>('SELECT count(*)::int AS n FROM herald.deliveries')
    ).rows as [{ n: number }];
    for (let i = 0; i < 20; i++) {
      await cycle(empty);
      await cycle(history);
    }
    const base: number[] = [];
    const grown: number[] = [];
    for (let i = 0; i < CYCLES; i++) {
      base.push(await cycle(empty));
      grown.push(await cycle(history));
    }
    await empty.end();
    await history.end();
    base.sort((a, b) => a - b);
    grown.sort((a, b) => a - b);
    const figures = {
      emptyP50Ms: round(percentile(base, 50), 3),
      historyP50Ms: round(percentile(grown, 50), 3),
      emptyP25Ms: round(percentile(base, 25), 3),
      historyP25Ms: round(percentile(grown, 25), 3),
    };
    const ratio = figures.historyP50Ms / figures.emptyP50Ms;
    console.log(
      `claim + completion, median: empty history ${figures.emptyP50Ms} ms, ${deliveries.toLocaleString('en')} deliveries of history ${figures.historyP50Ms} ms (×${round(ratio, 2)}; target ≤ ×1.2)`,
    );
    console.log(
      JSON.stringify({
        bench: 'claim',
        historyDeliveries: deliveries,
        cycles: CYCLES,
        ...figures,
        ratio: round(ratio, 3),
        pass: ratio <= 1.2,
      }),
    );
  } finally {
    await server.close();
  }
}

void main();
