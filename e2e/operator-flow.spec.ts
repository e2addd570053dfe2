import fs from 'node:fs';
import pg from 'pg';
import { expect, test } from './support/signed-in';

/**
 * Issue 7's operator story in a real browser against the real start command: after a provider
 * outage, 500 order confirmations are dead for two different reasons. From the dead-letter page
 * the operator replays all matching the outage's error — exactly those go out again, the
 * inactive-recipient ones stay dead, and the audit log holds one entry with the filter and count.
 */

const OUTAGE = 300;
const INACTIVE = 200;
const SUBSCRIPTION = 'order-confirmation-email';
/** One error per kind; the request id and address differ per row, so grouping must see past them. */
const outageError = (i: number) =>
  `Service unavailable: Postmark answered HTTP 503 during the outage (request ${(0x5f2c9a1e + i).toString(16)}a0b1)`;
const inactiveError = (i: number) =>
  `You tried to send to recipient(s) that have been marked as inactive: gone-${i}@ops.example`;
const REASON = 'Postmark outage is over';

/**
 * The database of the Herald that Playwright's webServer (e2e/server.ts) started for this run.
 * Its worker gets DATABASE_URL in its environment — the isolated database on DATABASE_URL's
 * server, or the embedded PostgreSQL's URL — so we read it there: the worker below our runner
 * (our parent) but not below this test process (other specs start Heralds of their own), never
 * another run's. Linux only (reads /proc), like e2e/support/herald-process.ts.
 */
function e2eDatabaseUrl(): string {
  const parentOf = (pid: number): number => {
    // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may contain spaces, so split after ')'.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  };
  const startedByRunner = (pid: number): boolean => {
    for (let p = pid; p > 1; p = parentOf(p)) {
      if (p === process.pid) return false;
      if (p === process.ppid) return true;
    }
    return false;
  };
  for (const entry of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmdline.includes('worker/main.ts') || !startedByRunner(Number(entry))) continue;
      const env = fs.readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      const url = env.find((v) => v.startsWith('DATABASE_URL='))?.slice('DATABASE_URL='.length);
      if (url) return url;
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  throw new Error(`no Herald worker started by the Playwright runner (pid ${process.ppid})`);
}

let pool: pg.Pool;
const eventIds = { outage: [] as number[], inactive: [] as number[] };

test.beforeAll(async () => {
  pool = new pg.Pool({ connectionString: e2eDatabaseUrl(), max: 2 });
  // The worker registers the subscription when it starts; publish only once it exists, or the
  // events fan out to nobody.
  await expect
    .poll(
      async () =>
        (await pool.query('SELECT 1 FROM herald.subscriptions WHERE name = $1', [SUBSCRIPTION])).rowCount,
      { timeout: 30_000 },
    )
    .toBe(1);
  // Events and their deaths in one transaction, so no worker ever sees these deliveries pending.
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const run = Date.now();
    const { rows } = await client.query<{ id: number; n: number }>(
      `INSERT INTO herald.events (channel, key, payload, source)
       SELECT 'order.approved', 'order:OPS-' || $1::text || '-' || n,
              jsonb_build_object('orderId', 'OPS-' || $1::text || '-' || n,
                                 'customer', jsonb_build_object('email', 'customer-' || n || '@ops.example',
                                                                'name', 'Customer ' || n),
                                 'total', 10 + n, 'currency', 'EUR'),
              'e2e:operator-flow'
       FROM generate_series(1, $2::int) AS n
       RETURNING id, substring(key from '[0-9]+$')::int AS n`,
      [String(run), OUTAGE + INACTIVE],
    );
    for (const r of rows) (r.n <= OUTAGE ? eventIds.outage : eventIds.inactive).push(Number(r.id));
    const errors = rows.map((r) => (r.n <= OUTAGE ? outageError(r.n) : inactiveError(r.n)));
    const dead = await client.query(
      `UPDATE herald.deliveries d
       SET state = 'dead', attempts = 1, last_error = x.error, finished_at = now() - interval '1 minute',
           updated_at = now()
       FROM unnest($1::bigint[], $2::text[]) AS x(event_id, error)
       WHERE d.event_id = x.event_id AND d.subscription = $3`,
      [rows.map((r) => r.id), errors, SUBSCRIPTION],
    );
    expect(dead.rowCount).toBe(OUTAGE + INACTIVE);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
});

test.afterAll(async () => {
  await pool?.end();
});

async function states(ids: number[]): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ state: string; n: number }>(
    `SELECT state, count(*)::int AS n FROM herald.deliveries
     WHERE event_id = ANY($1::bigint[]) AND subscription = $2 GROUP BY state`,
    [ids, SUBSCRIPTION],
  );
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}

test('500 dead across two errors → replay all matching the outage → exactly those go out, one audit entry', async ({
  page,
}) => {
  test.setTimeout(180_000);
  await page.goto(`/dead-letters?subscription=${SUBSCRIPTION}`);
  await expect(page.getByRole('heading', { level: 1, name: 'Dead letters' })).toBeVisible();

  // ── The groups: one per kind of error, whatever the request id or address in the text. ──
  const outageGroup = page.getByRole('link', {
    name: new RegExp(`^Show ${OUTAGE} dead of ${SUBSCRIPTION}: `),
  });
  await expect(outageGroup).toHaveCount(1);
  await expect(
    page.getByRole('link', { name: new RegExp(`^Show ${INACTIVE} dead of ${SUBSCRIPTION}: `) }),
  ).toHaveCount(1);
  await outageGroup.click();
  await expect(page).toHaveURL(/[?&]error=/);
  await expect(page.getByRole('table', { name: 'Dead deliveries, newest first' })).toContainText(
    'Service unavailable',
  );
  await expect(page.getByRole('table', { name: 'Dead deliveries, newest first' })).not.toContainText(
    'marked as inactive',
  );

  // ── Replay all matching: the dialog names the filter and the count, then sums up. ──
  await page.getByRole('button', { name: 'Replay all matching' }).click();
  const dialog = page.getByRole('dialog', { name: `Replay all ${OUTAGE} matching` });
  await expect(dialog).toBeVisible();
  const filter = dialog.getByRole('list', { name: 'Filter' });
  await expect(filter).toContainText(`subscription ${SUBSCRIPTION}`);
  await expect(filter).toContainText('error contains “');
  await expect(filter).toContainText('died before');
  await expect(dialog).toContainText(`${OUTAGE} dead deliveries match now.`);
  // The progress line counts through the API's dry run (server actions run one at a time, so it
  // cannot ask through one while the bulk action runs): from this page, it counts the same rows.
  const counted = await page.evaluate(async (subscription) => {
    const response = await fetch('/api/v1/deliveries/replay', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ subscription, errorContains: 'Service unavailable', dryRun: true }),
    });
    return { status: response.status, body: await response.json() };
  }, SUBSCRIPTION);
  expect(counted).toEqual({ status: 200, body: { dryRun: true, matched: OUTAGE, done: 0, skipped: 0 } });
  await dialog.getByLabel('Reason (optional)').fill(REASON);
  await dialog.getByRole('button', { name: 'Confirm replay' }).click();
  await expect(dialog.getByRole('status', { name: 'Summary' })).toHaveText(`${OUTAGE} replayed`, {
    timeout: 30_000,
  });
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();

  // ── Exactly the outage's deliveries left the queue; the sandbox accepts them. ──
  expect((await states(eventIds.outage)).dead ?? 0).toBe(0);
  await expect(page.getByText('No dead delivery matches these filters.')).toBeVisible();
  await expect
    .poll(async () => (await states(eventIds.outage)).succeeded ?? 0, { timeout: 120_000 })
    .toBe(OUTAGE);
  expect(await states(eventIds.inactive)).toEqual({ dead: INACTIVE });

  // The page without the error filter shows only the other kind now.
  await page.goto(`/dead-letters?subscription=${SUBSCRIPTION}`);
  await expect(
    page.getByRole('link', { name: new RegExp(`^Show ${INACTIVE} dead of ${SUBSCRIPTION}: `) }),
  ).toHaveCount(1);
  await expect(page.getByRole('link', { name: new RegExp(`^Show ${OUTAGE} dead of `) })).toHaveCount(0);

  // ── One audit entry, with the filter and the count. ──
  // (Other specs replay on the shared server too: count the entries for this subscription.)
  await page.goto('/audit?action=delivery.bulk_replay');
  const entries = page
    .getByRole('row')
    .filter({ hasText: 'delivery.bulk_replay' })
    .filter({ hasText: `"subscription":"${SUBSCRIPTION}"` });
  await expect(entries).toHaveCount(1);
  await expect(entries).toContainText(REASON);
  await expect(entries).toContainText(`"matched":${OUTAGE}`);
  await expect(entries).toContainText(`"done":${OUTAGE}`);
  await expect(entries).toContainText(`"subscription":"${SUBSCRIPTION}"`);
  await expect(entries).toContainText('"errorContains":"');
  const { rows } = await pool.query<{ details: { filter: { errorContains?: string }; matched: number } }>(
    `SELECT details FROM herald.audit_log
      WHERE action = 'delivery.bulk_replay' AND details -> 'filter' ->> 'subscription' = $1`,
    [SUBSCRIPTION],
  );
  expect(rows).toHaveLength(1);
  expect(outageError(1)).toContain(rows[0]!.details.filter.errorContains);
  expect(inactiveError(OUTAGE + 1)).not.toContain(rows[0]!.details.filter.errorContains);
});
