import { type Browser, expect, type Locator, type Page, test } from '@playwright/test';
import { CONSOLE_PAGES } from './support/console';
import { type SeededHerald, startSeededHerald } from './support/seeded-herald';

/**
 * Visual checks (issue #20): every page, light and dark, at 1440 and 390 px, compared with the
 * pictures committed under e2e/__screenshots__/ (playwright.config.ts: snapshotPathTemplate,
 * maxDiffPixelRatio). A layout regression — a wrapped navigation, a table that overflows, a
 * dialog off centre, a dark-mode colour lost — changes many pixels and fails; font hinting does
 * not. The data is the same on every run (e2e/support/seeded-herald.ts); what cannot be
 * (times, rates, latencies, ids the server makes up, the live chart) is masked.
 *
 * After an intended change of the console's look: `npx playwright test e2e/visual.spec.ts
 * --update-snapshots`, look at the new pictures, commit them.
 */
const PORT = Number(process.env.HERALD_E2E_PORT || 3100) + 7;

test.describe.configure({ mode: 'serial' });
test.use({ baseURL: `http://127.0.0.1:${PORT}`, timezoneId: 'UTC', locale: 'en-GB' });

let herald: SeededHerald;
/** One sign-in for the whole spec, so the audit log holds the same entries whatever runs first. */
let session: Awaited<ReturnType<Awaited<ReturnType<Browser['newContext']>>['storageState']>>;
const fill = { event: '', delivery: '', key: 'order:1005' };

test.beforeAll(async ({ browser }) => {
  test.setTimeout(300_000);
  herald = await startSeededHerald('visual', PORT);
  const context = await browser.newContext();
  await herald.signIn(await context.newPage());
  session = await context.storageState();
  await context.close();
  // 24 orders, every fifth to an address the sandbox refuses for good: 19 sent, 5 dead.
  await herald.publishOrders(24, { rejectEvery: 5 });
  await herald.settled();
  const { rows } = await herald.pool.query<{ event: string; delivery: string }>(
    `SELECT e.id AS event, d.id AS delivery FROM herald.events e JOIN herald.deliveries d ON d.event_id = e.id
      WHERE e.key = $1 ORDER BY d.id LIMIT 1`,
    [fill.key],
  );
  fill.event = rows[0]?.event ?? '';
  fill.delivery = rows[0]?.delivery ?? '';
});

test.afterAll(async () => {
  await herald?.stop();
});

/**
 * What differs between two runs of the same data: masked, so only layout and style are
 * compared. Locators that find nothing on a page mask nothing there.
 */
function volatile(page: Page): Locator[] {
  return [
    page.locator('time'),
    page.getByText(/^\d{1,2} \w{3} \d{4}$/), // a day ("3 Dec 2026", when a user was added)
    // The live chart and the rates, latencies and ages next to it move every second.
    page.getByRole('figure', { name: 'Throughput chart' }),
    page.getByRole('region', { name: 'Throughput' }),
    page.getByRole('region', { name: 'Lag' }),
    page.getByRole('status', { name: 'Live updates' }),
    page.locator('div:has(> dt:text-is("Delivered / s (last min)")) > dd'),
    // Per subscription rates and the workers (host, pid) on the overview.
    page.getByRole('region', { name: 'Subscriptions' }).locator('tbody td:nth-child(3)'),
    page.getByRole('region', { name: 'Workers' }).locator('tbody'),
    // Attempts: how long each took, which worker ran it, the provider's message id.
    page.getByText(/^\d[\d,.]* ?(ms|s)$/),
    page.getByText(/^worker \S+$/),
    page.getByText(/^Postmark message /),
    page.getByText(/^hk_\w+/), // API key prefixes are random
    page.getByText(/"prefix":"/),
    // Lists whose order is a race between concurrent sends: the rows, not the table around them.
    page.getByRole('table', { name: 'Sandbox messages' }).locator('tbody'),
    page.getByRole('table', { name: 'Dead deliveries, newest first' }).locator('tbody'),
    page.locator('main table:has(th:text-is("Detail")) tbody'), // the live feed
  ];
}

const slug = (path: string) =>
  path === '/'
    ? 'overview'
    : path
        .replace(/^\//, '')
        .replace(/[/?=:]+/g, '-')
        .replace(/-+$/, '');

const VIEWPORTS = [
  { name: 'wide', width: 1440, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;

for (const template of CONSOLE_PAGES) {
  test(`${template} looks as committed, light and dark, at 1440 and 390 px`, async ({ browser }) => {
    test.setTimeout(120_000);
    const context = await browser.newContext({
      baseURL: herald.base,
      storageState: session,
      timezoneId: 'UTC',
      locale: 'en-GB',
    });
    const page = await context.newPage();
    const path = template
      .replace(':event', fill.event)
      .replace(':delivery', fill.delivery)
      .replace(':key', fill.key);
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        const response = await page.goto(path);
        expect(response?.status(), path).toBe(200);
        await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
        await page.waitForFunction(() => document.readyState === 'complete');
        // No hover tooltip or focus ring left from the last picture.
        await page.mouse.move(0, 0);
        await expect(page).toHaveScreenshot(`${slug(template)}-${scheme}-${viewport.name}.png`, {
          mask: volatile(page),
        });
      }
    }
    await context.close();
  });
}

test('the sign-in page looks as committed, light and dark, at 1440 and 390 px', async ({ page }) => {
  for (const viewport of VIEWPORTS) {
    await page.setViewportSize(viewport);
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.goto('/sign-in');
      await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
      await expect(page).toHaveScreenshot(`sign-in-${scheme}-${viewport.name}.png`);
    }
  }
});
