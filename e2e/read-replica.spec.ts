import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type APIRequestContext, expect, type Locator, type Page, test } from '@playwright/test';
import { freePort } from '../lib/embedded/postgres';
import { type ReplicatedPair, startReplicatedPair } from '../test/helpers/standby';
import { HeraldProcess, taggedProcesses } from './support/herald-process';
import { isolate } from './support/isolated';

/**
 * Issue 23 as the operator sees it: with HERALD_READ_DATABASE_URL set, the overview says where
 * its reads came from (app/_components/overview/reads-note.tsx) and /api/health reports the
 * replica. Each test runs a Herald of its own (HERALD_E2E_PORT + 3, beside the shared one,
 * reusing its production build) and stops it again.
 *
 * The healthy replica is a real streaming standby from test/helpers/standby.ts, the one the
 * vitest tests use: it takes nothing from vitest (no inject; it picks its binaries from
 * DATABASE_URL, the same variable that picks this run's database kind), so it runs here as is.
 */
const PORT = Number(process.env.HERALD_E2E_PORT || 3100) + 3;
const BASE = `http://127.0.0.1:${PORT}`;
const READY = new RegExp(`Herald is running at http://localhost:${PORT}`);
const ADMIN = { email: 'replica-admin@e2e.example', password: 'replica e2e password 1' };
const FELL_BACK = 'The read replica is not answering: reading from the primary.';
const FROM_REPLICA = /^Read from the replica, lag \d+\.\d s\.$/;

test.use({ baseURL: BASE });

/**
 * Starts `herald start` with `env`, signs `page` in as the first admin through the first-run
 * setup link (written to `<dataDir>/setup-link.txt`), runs `body`, and stops every process
 * that Herald started, even when `body` fails.
 */
async function withHerald(
  env: Record<string, string>,
  dataDir: string,
  page: Page,
  body: () => Promise<void>,
): Promise<void> {
  const tag = randomUUID();
  const herald = new HeraldProcess({
    ...env,
    HERALD_DATA_DIR: dataDir,
    PORT: String(PORT),
    HERALD_TEST_TAG: tag,
    HERALD_PUBLIC_URL: BASE,
  });
  try {
    await herald.waitForOutput(READY);
    const link = fs.readFileSync(path.join(dataDir, 'setup-link.txt'), 'utf8').trim();
    const setup = await page.request.post('/api/auth/setup', {
      data: { token: new URL(link).searchParams.get('token'), ...ADMIN },
      headers: { origin: BASE },
    });
    expect(setup.status(), await setup.text()).toBe(201);
    await body();
  } finally {
    await herald.stop('SIGINT');
    for (const { pid } of taggedProcesses(tag)) process.kill(pid, 'SIGKILL');
  }
}

/** Opens the overview and waits for its data: the page works whichever server answered. */
async function openOverview(page: Page): Promise<void> {
  const response = await page.goto('/');
  expect(response?.status()).toBe(200);
  await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
  // The counters replace the loading skeleton once /api/v1/overview has answered.
  await expect(page.getByRole('group', { name: 'Published (15 min)', exact: true })).toBeVisible({
    timeout: 30_000,
  });
  await expect(page.getByText('Could not load the overview')).toBeHidden();
}

/** The amber note (role=status, unlike the quiet line) saying reads fell back to the primary. */
const fallbackNote = (page: Page) => page.getByRole('status').filter({ hasText: 'reading from the primary' });
const replicaLine = (page: Page) => page.getByText(FROM_REPLICA);

async function readReplicaHealth(request: APIRequestContext) {
  const response = await request.get('/api/health');
  // A replica that is down or behind degrades reads; it never makes Herald itself unhealthy.
  expect(response.status()).toBe(200);
  return ((await response.json()) as { readReplica: unknown }).readReplica;
}

/**
 * Reloads until the overview shows `shown`. The replica's state is measured at most once a
 * second (HERALD_READ_LAG_CHECK_MS) and a read may go to the primary "this time" until the
 * replica has replayed what this session already saw, so the first load after a change may
 * still show the earlier state — as it would to an operator, who reloads.
 */
async function overviewShows(page: Page, shown: (page: Page) => Locator) {
  await expect(async () => {
    await openOverview(page);
    await expect(shown(page)).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
}

test('a replica that does not answer: the overview reads from the primary and says so', async ({ page }) => {
  test.setTimeout(180_000);
  // A port nothing listens on: bound by the kernel's choice, then closed again.
  const closedPort = await freePort();
  const isolated = await isolate('read_replica');
  try {
    await withHerald(
      {
        ...isolated.env,
        HERALD_READ_DATABASE_URL: `postgres://postgres@127.0.0.1:${closedPort}/postgres`,
      },
      isolated.dataDir,
      page,
      async () => {
        expect(await readReplicaHealth(page.request)).toEqual({
          state: 'down',
          lagMs: null,
          replayLsn: null,
        });
        await openOverview(page);
        await expect(fallbackNote(page)).toHaveText(FELL_BACK);
        await expect(replicaLine(page)).toBeHidden();
      },
    );
  } finally {
    await isolated.cleanup();
  }
});

test('a streaming standby: the overview reads from it with its lag, falls back while it is stopped, and returns', async ({
  page,
}) => {
  test.setTimeout(240_000);
  let pair: ReplicatedPair | undefined;
  const dataDir = path.join('.herald', 'e2e-read_replica_standby');
  fs.rmSync(dataDir, { recursive: true, force: true });
  try {
    // Its own primary and standby (initdb, base backup, migrations): never the shared server.
    const standby = await startReplicatedPair();
    pair = standby;
    await withHerald(
      { DATABASE_URL: standby.primaryUrl, HERALD_READ_DATABASE_URL: standby.standbyUrl },
      dataDir,
      page,
      async () => {
        expect(await readReplicaHealth(page.request)).toEqual({
          state: 'ok',
          lagMs: expect.any(Number),
          replayLsn: expect.stringMatching(/^[0-9A-F]+\/[0-9A-F]+$/),
        });
        await overviewShows(page, replicaLine);
        await expect(fallbackNote(page)).toBeHidden();

        await standby.stopStandby();
        expect(await readReplicaHealth(page.request)).toEqual({
          state: 'down',
          lagMs: null,
          replayLsn: null,
        });
        await overviewShows(page, fallbackNote);
        await expect(fallbackNote(page)).toHaveText(FELL_BACK);

        // Back again, it resumes streaming from its slot and the reads return to it by themselves.
        await standby.startStandby();
        await expect
          .poll(() => readReplicaHealth(page.request), { timeout: 30_000 })
          .toMatchObject({ state: 'ok' });
        await overviewShows(page, replicaLine);
        await expect(fallbackNote(page)).toBeHidden();
      },
    );
  } finally {
    await pair?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
