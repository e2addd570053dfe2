import { expect, test } from '@playwright/test';
import { type SeededHerald, startSeededHerald } from './support/seeded-herald';

/**
 * Regenerates the README's pictures (docs/overview.png, docs/sandbox-outbox.png) from a seeded
 * console at 1440 px:
 *
 *   HERALD_SCREENSHOT=1 HERALD_E2E_PORT=3100 npx playwright test e2e/readme-screenshots.spec.ts
 *
 * Skipped otherwise: it rewrites committed files and checks nothing (e2e/visual.spec.ts does).
 */
const PORT = Number(process.env.HERALD_E2E_PORT || 3100) + 8;

test.use({ baseURL: `http://127.0.0.1:${PORT}`, timezoneId: 'UTC', locale: 'en-GB', colorScheme: 'light' });

let herald: SeededHerald;

test.beforeAll(async () => {
  // Skipped in `npm test` on purpose: this spec checks nothing, it rewrites docs/overview.png and
  // docs/sandbox-outbox.png. Layout regressions are caught by e2e/visual.spec.ts instead.
  test.skip(!process.env.HERALD_SCREENSHOT, 'only when refreshing the README screenshots');
  test.setTimeout(300_000);
  herald = await startSeededHerald('readme', PORT);
});

test.afterAll(async () => {
  await herald?.stop();
});

test('docs/overview.png and docs/sandbox-outbox.png', async ({ page }) => {
  test.setTimeout(180_000);
  await herald.signIn(page);
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto('/');
  // Forty seconds of uneven traffic with a few refused recipients, so the chart has a shape.
  let next = 1;
  for (let s = 0; s < 40; s++) {
    const n = 10 + Math.round(25 * Math.abs(Math.sin(s / 5)));
    await herald.publishOrders(n, { from: next, rejectEvery: 23 });
    next += n;
    await page.waitForTimeout(1_000); // the traffic's pace is the point: one batch a second
  }
  await herald.settled();
  await expect(page.getByRole('status', { name: 'Live updates' })).toHaveAttribute('data-status', 'live');
  await page.mouse.move(0, 0);
  await page.screenshot({ path: 'docs/overview.png' });

  await page.goto('/sandbox');
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await page.mouse.move(0, 0);
  await page.screenshot({ path: 'docs/sandbox-outbox.png' });
});
