/**
 * The console's side of `bench:dashboard-replica`, in a process of its own (as web servers are
 * processes apart from the application that publishes): --readers loops over the overview, the
 * events explorer and a lookup against --url. Driven over stdin/stdout by the parent:
 *   child → "ready"          connected and reading;
 *   parent → "measure"       from now on, keep each read's time;
 *   parent → "stop"          finish the reads in flight, then
 *   child → {"reads": [ms…]} one JSON line, and exit.
 */
import readline from 'node:readline';
import { createDb, createPool, type Db } from '../lib/db/client';
import { parseLookup } from '../lib/lookup/parse';
import { exploreEvents } from '../lib/queries/explore';
import { lookup } from '../lib/queries/lookup';
import { overview } from '../lib/queries/overview';
import { flag, numberFlag } from './common';

const URL_ = flag('url');
const READERS = Math.floor(numberFlag('readers', 4));

/** The three console reads the issue names, one after another, different arguments each time. */
function dashboardRead(db: Db, i: number): Promise<unknown> {
  switch (i % 3) {
    case 0:
      return overview(db, '15m');
    case 1:
      return exploreEvents(
        db,
        { channel: i % 2 ? 'order.approved' : 'email.send', limit: 50 },
        { mask: false },
      );
    default:
      return lookup(db, parseLookup(`customer${(i * 7919) % 400_000}@example.com`)!, { mask: false });
  }
}

async function main() {
  if (!URL_) throw new Error('--url is required');
  const pool = createPool(URL_, { max: READERS, applicationName: 'herald-bench-read' });
  const db = createDb(pool);
  let running = true;
  let measuring = false;
  const reads: number[] = [];
  const lines = readline.createInterface({ input: process.stdin });
  const stopped = new Promise<void>((resolve) => {
    lines.on('line', (line) => {
      if (line.trim() === 'measure') measuring = true;
      if (line.trim() === 'stop') {
        running = false;
        resolve();
      }
    });
    lines.on('close', () => {
      running = false;
      resolve();
    });
  });
  const loops = Array.from({ length: READERS }, async (_, r) => {
    for (let i = r; running; i += READERS) {
      const t0 = performance.now();
      await dashboardRead(db, i);
      if (measuring && running) reads.push(Math.round((performance.now() - t0) * 100) / 100);
    }
  });
  process.stdout.write('ready\n');
  await stopped;
  await Promise.all(loops);
  await pool.end();
  process.stdout.write(`${JSON.stringify({ reads })}\n`);
  lines.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
