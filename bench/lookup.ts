/**
 * `npm run bench:lookup -- --events N`: lookup by email and by order id, and the dead-letter
 * page's queries, p95 over 200 runs each, on N seeded events (scripts/seed-scale.ts, ~3 % dead);
 * then "replay all matching" over up to 100,000 dead deliveries while a worker-like loop keeps
 * completing pending ones. Target: p95 < 100 ms, bulk < 10 s. Last line: JSON.
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { createDb, createPool } from '../lib/db/client';
import { migrateDatabase } from '../lib/db/migrate';
import { parseLookup } from '../lib/lookup/parse';
import { replayMatching } from '../lib/operations/deliveries';
import { deadGroups, listDead } from '../lib/queries/dead-letters';
import { lookup } from '../lib/queries/lookup';
import { openServer, repoRoot, withDatabase } from './common';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '200' },
    /** An already seeded database on the same server (e.g. the dashboard benchmark's), reused as is. */
    database: { type: 'string' },
  },
});
const events = Number(values.events);
const runs = Number(values.runs);

const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)] ?? 0;
async function time(n: number, fn: (i: number) => Promise<unknown>) {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    out.push(performance.now() - t0);
  }
  return Math.round(p95(out) * 10) / 10;
}

const server = await openServer();
try {
  let url: string;
  if (values.database) {
    url = withDatabase(server.url, values.database);
    await migrateDatabase(url); // a database seeded earlier may predate the lookup indexes
  } else {
    url = await server.createDatabase('lookup');
    execFileSync('npx', ['tsx', 'scripts/seed-scale.ts', '--events', String(events)], {
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: url },
      stdio: 'inherit',
    });
  }
  const pool = createPool(url, { max: 6 });
  const db = createDb(pool);
  const pick = (i: number) => 1 + ((i * 7919) % events);
  const byEmail = await time(runs, (i) =>
    lookup(db, parseLookup(`customer${pick(i) % 400000}@example.com`)!, { mask: false }),
  );
  const byOrder = await time(runs, (i) => lookup(db, parseLookup(`ord-${pick(i)}`)!, { mask: false }));
  const dlqPage = await time(runs, () =>
    Promise.all([deadGroups(db, {}), listDead(db, {}, { cursor: null, limit: 50 }, { mask: false })]),
  );
  const dlqFiltered = await time(runs, () =>
    listDead(
      db,
      { subscription: 'email', errorContains: 'ErrorCode 406' },
      { cursor: null, limit: 50 },
      { mask: false },
    ),
  );
  // A worker-like load meanwhile: complete pending deliveries in small batches.
  let working = true;
  let completed = 0;
  const worker = (async () => {
    while (working) {
      const { rows } = await db.execute<{ n: number }>(sql`
        WITH c AS (SELECT id FROM herald.deliveries WHERE state = 'pending' ORDER BY run_at LIMIT 50 FOR UPDATE SKIP LOCKED)
        UPDATE herald.deliveries d SET state = 'succeeded', finished_at = now(), updated_at = now()
        FROM c WHERE d.id = c.id RETURNING 1 AS n`);
      completed += rows.length;
      if (rows.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const [{ dead }] = (
    await db.execute<{ dead: number }>(
      sql`SELECT count(*)::int AS dead FROM herald.deliveries WHERE state = 'dead'`,
    )
  ).rows as [{ dead: number }];
  const { rows: cut } = await db.execute<{ at: string | null }>(sql`
    SELECT finished_at::text AS at FROM herald.deliveries WHERE state = 'dead' ORDER BY finished_at DESC OFFSET 100000 LIMIT 1`);
  const since = cut[0]?.at ? new Date(cut[0].at) : new Date(0);
  const t0 = performance.now();
  const bulk = await replayMatching(db, { since, until: new Date() }, { actor: 'bench' });
  const bulkMs = Math.round(performance.now() - t0);
  working = false;
  await worker;
  await pool.end();
  const result = {
    events,
    dead,
    lookupEmailP95Ms: byEmail,
    lookupOrderP95Ms: byOrder,
    dlqPageP95Ms: dlqPage,
    dlqFilteredP95Ms: dlqFiltered,
    bulkReplayed: bulk.done,
    bulkMs,
    completedMeanwhile: completed,
    pass: byEmail < 100 && byOrder < 100 && dlqPage < 100 && bulkMs < 10_000,
  };
  console.log(JSON.stringify(result));
} finally {
  await server.close();
}
