import fs from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, createPool } from '../lib/db/client';
import { migrateDatabase } from '../lib/db/migrate';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../lib/embedded/postgres';
import { createPublisher } from '../lib/publish';
import { testChannels } from './fixtures/channels';
import { waitFor } from './helpers/db';
import { startWorkerProcess, type WorkerProcess } from './helpers/worker-process';

/**
 * The listener's connection is killed and PostgreSQL itself restarts while events are being
 * published: everything that was committed is delivered once the worker has reconnected.
 * The poll interval is an hour, so only the listener's reconnect-then-sweep can deliver.
 * This file always runs its own embedded PostgreSQL (whatever DATABASE_URL says): it has to
 * restart the server, which a shared one must not be.
 */
const { publish } = createPublisher(testChannels);
const dir = `.herald/test-restart-${process.pid}`;

let server: EmbeddedPostgres;
let url: string;
let worker: WorkerProcess;
const published = new Set<number>();

function tryQuery(text: string) {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => {}); // the server may go away under us: that is the point of this file
  return c
    .connect()
    .then(() => c.query(text))
    .finally(() => c.end().catch(() => {}));
}

/** Publishes one event a few ms apart until stopped, counting only committed ones. */
function publishLoop() {
  let stop = false;
  const pool = createPool(url, { max: 2 });
  const db = createDb(pool);
  let n = 0;
  const done = (async () => {
    while (!stop) {
      try {
        const e = await publish(db, 'test.event', { n: n++ });
        published.add(e.id);
      } catch {
        // The server is down or restarting: this event was not committed, so it is not owed.
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await pool.end().catch(() => {});
  })();
  return async () => {
    stop = true;
    await done;
  };
}

/** Acknowledged events whose recorder delivery succeeded. */
async function deliveredCount(): Promise<number> {
  const { rows } = await tryQuery(
    `SELECT count(DISTINCT d.event_id)::int AS n FROM herald.deliveries d
     WHERE d.subscription = 'recorder' AND d.state = 'succeeded'
       AND d.event_id = ANY('{${[...published].join(',')}}'::bigint[])`,
  );
  return rows[0].n;
}

/**
 * Deliveries not yet succeeded, acknowledged or not: a commit can succeed on the server while
 * the client only sees the connection drop, and such an event is owed a delivery too.
 */
async function unfinished(): Promise<number> {
  const { rows } = await tryQuery(
    `SELECT count(*)::int AS n FROM herald.deliveries WHERE state <> 'succeeded'`,
  );
  return rows[0].n;
}

beforeAll(async () => {
  fs.rmSync(dir, { recursive: true, force: true });
  server = await startEmbeddedPostgres({ dir });
  url = server.url;
  await migrateDatabase(url);
  await tryQuery(
    `CREATE TABLE test_runs (delivery_id bigint, attempt int, pid int, n int, at timestamptz DEFAULT clock_timestamp())`,
  );
  worker = await startWorkerProcess(url, {
    HERALD_POLL_INTERVAL_MS: '3600000',
    HERALD_LISTENER_PING_MS: '300',
    TEST_WORKER_LOG_LEVEL: 'warn',
  });
});
afterAll(async () => {
  await worker?.stop();
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('listener loss and database restarts', () => {
  it('delivers everything published around a terminated listener connection', async () => {
    const stop = publishLoop();
    await waitFor('some deliveries', async () => (await deliveredCount()) > 20);
    const { rows } = await tryQuery(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = 'herald-listener'`,
    );
    expect(rows[0].n).toBe(1);
    await waitFor('the listener to come back', async () => {
      const r = await tryQuery(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'herald-listener'`,
      );
      return r.rows[0].n === 1;
    });
    await new Promise((r) => setTimeout(r, 300)); // keep publishing a little after the reconnect
    await stop();
    await waitFor(
      'every committed event to be delivered',
      async () => (await deliveredCount()) === published.size && (await unfinished()) === 0,
    );
  });

  it('delivers everything committed around three PostgreSQL restarts', { timeout: 180_000 }, async () => {
    const before = published.size;
    const stop = publishLoop();
    for (let i = 0; i < 3; i++) {
      await waitFor('publishing to make progress', async () => published.size > before + 20 * (i + 1));
      const port = server.port;
      await server.stop();
      server = await startEmbeddedPostgres({ dir, port });
    }
    await waitFor('publishing to resume after the last restart', async () => {
      const size = published.size;
      await new Promise((r) => setTimeout(r, 200));
      return published.size > size;
    });
    await stop();
    await waitFor(
      'every committed event to be delivered',
      async () => (await deliveredCount()) === published.size && (await unfinished()) === 0,
      120_000,
    ).catch(async (e) => {
      // Say what is stuck, for whoever reads a failed CI run.
      const r = await tryQuery(
        `SELECT id, state, attempts, run_at, lease_owner, lease_expires_at, last_error, now() AS now
         FROM herald.deliveries WHERE state <> 'succeeded' LIMIT 10`,
      );
      console.error(
        'unfinished deliveries:',
        JSON.stringify(r.rows),
        '\nworker output:',
        worker.output().slice(-4000),
      );
      throw e;
    });
    expect(worker.child.exitCode).toBeNull(); // the worker rode it out
    const { rows } = await tryQuery(
      'SELECT count(*)::int AS n FROM (SELECT delivery_id FROM test_runs GROUP BY 1 HAVING count(*) > 1) x',
    );
    // Re-runs are allowed only for deliveries that were in flight during a restart.
    expect(rows[0].n).toBeLessThanOrEqual(30);
  });
});
