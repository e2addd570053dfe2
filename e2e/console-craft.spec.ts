import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { CONSOLE_PAGES, openPage, publish, publishKey } from './support/console';
import { expect, signInAsAdmin, test } from './support/signed-in';

/**
 * Issue #20: the console on kept primitives — centred dialogs that trap focus, a navigation
 * that never wraps, one way of writing time, and dense keyboard-driven lists.
 */

const run = Date.now();
let eventIds: number[] = [];
let deliveryId = 0;

test.beforeAll(async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await signInAsAdmin(page, baseURL ?? '');
  const token = await publishKey(page.request, baseURL ?? '', 'e2e-craft');
  eventIds = [];
  for (let i = 0; i < 32; i++)
    eventIds.push(
      await publish(
        page.request,
        token,
        'email.send',
        { to: `craft-${i}@craft.example`, subject: `craft ${run} #${i}`, text: 'hello' },
        `craft:${run}:${i}`,
      ),
    );
  const event = await (await page.request.get(`/api/v1/events/${eventIds[0]}`)).json();
  deliveryId = (event as { deliveries: { id: number }[] }).deliveries[0]?.id ?? 0;
  // A dead letter for the bulk dialog: the sandbox refuses an inactive address for good.
  await deadLetter(page, baseURL ?? '', token, `gone-${run}@craft.example`);
  await context.close();
});

/** Publishes an email to an address the sandbox refuses for good, and waits for it to die. */
async function deadLetter(page: Page, origin: string, token: string, to: string): Promise<number> {
  const inactive = await page.request.patch('/api/v1/sandbox', {
    headers: { origin },
    data: { markInactive: to },
  });
  expect(inactive.status(), await inactive.text()).toBe(200);
  const dead = await publish(page.request, token, 'email.send', { to, subject: 'gone', text: 'gone' });
  await expect
    .poll(
      async () => {
        const e = (await (await page.request.get(`/api/v1/events/${dead}`)).json()) as {
          deliveries: { state: string }[];
        };
        return e.deliveries[0]?.state;
      },
      { timeout: 30_000 },
    )
    .toBe('dead');
  return dead;
}

async function expectCentred(page: Page, name: string | RegExp) {
  const dialog = page.getByRole('dialog', { name });
  await expect(dialog).toBeVisible();
  // Radix animates nothing here, but wait a frame for layout.
  await page.waitForTimeout(50);
  const box = await dialog.boundingBox();
  const viewport = page.viewportSize();
  if (!box || !viewport) throw new Error('no box');
  expect(Math.abs(box.x + box.width / 2 - viewport.width / 2), 'horizontal centre').toBeLessThanOrEqual(2);
  expect(Math.abs(box.y + box.height / 2 - viewport.height / 2), 'vertical centre').toBeLessThanOrEqual(2);
}

async function expectFocusTrapped(page: Page, name: string | RegExp) {
  const dialog = page.getByRole('dialog', { name });
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press('Tab');
    expect(await dialog.evaluate((d) => d.contains(document.activeElement)), `Tab ${i + 1}`).toBe(true);
  }
  await page.keyboard.press('Shift+Tab');
  expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
}

for (const width of [1280, 1440]) {
  test(`dialogs are centred at ${width} px, keep focus inside and close on Escape`, async ({
    page,
    baseURL,
  }) => {
    await page.setViewportSize({ width, height: 900 });
    // Replay all matching (the dead-letter page's bulk dialog).
    await openPage(page, '/dead-letters?subscription=email');
    await page.getByRole('button', { name: 'Replay all matching' }).click();
    await expectCentred(page, /^Replay all/);
    await expectFocusTrapped(page, /^Replay all/);
    await expect(page.getByRole('button', { name: 'Replay all matching' })).toBeFocused();

    // Pause (a confirmation with a reason).
    await openPage(page, '/subscriptions');
    await page.getByRole('button', { name: 'Pause email' }).click();
    await expectCentred(page, 'Pause email?');
    await expectFocusTrapped(page, 'Pause email?');

    // Discard one delivery: a pending one, held by a paused subscription.
    const origin = { origin: baseURL ?? '' };
    await page.request.post('/api/v1/subscriptions/email/pause', {
      headers: origin,
      data: { reason: 'e2e craft' },
    });
    try {
      const token = await publishKey(page.request, baseURL ?? '', 'e2e-craft-held');
      const held = await publish(page.request, token, 'email.send', {
        to: 'held@craft.example',
        subject: 'held',
        text: 'held',
      });
      await openPage(page, `/events/${held}`);
      await page.getByRole('button', { name: /^Discard delivery \d+$/ }).click();
      await expectCentred(page, 'Discard this delivery?');
      await expectFocusTrapped(page, 'Discard this delivery?');
    } finally {
      await page.request.post('/api/v1/subscriptions/email/resume', {
        headers: origin,
        data: { reason: 'e2e' },
      });
    }
  });
}

for (const width of [1024, 1280, 1440]) {
  test(`the navigation fits on one line at ${width} px`, async ({ page }) => {
    await page.setViewportSize({ width, height: 800 });
    await openPage(page, '/');
    const nav = page.getByRole('navigation', { name: 'Main' });
    await expect(nav).toBeVisible();
    const items = await page.locator('header a, header button, header input').evaluateAll((els) =>
      els
        .filter((el) => (el as HTMLElement).offsetParent !== null)
        .map((el) => {
          // The line boxes of the item's text: one distinct top per line it takes.
          const lines = new Set<number>();
          const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            if (!node.textContent?.trim()) continue;
            const range = document.createRange();
            range.selectNodeContents(node);
            for (const r of range.getClientRects()) lines.add(Math.round(r.top));
          }
          const box = el.getBoundingClientRect();
          return {
            text: el.textContent?.trim() || el.getAttribute('aria-label'),
            lines: lines.size,
            right: box.right,
          };
        }),
    );
    expect(items.length).toBeGreaterThan(6);
    expect(items.filter((i) => i.lines > 1)).toEqual([]);
    // Nothing pushed past the right edge either.
    expect(items.filter((i) => i.right > width)).toEqual([]);
    // One row: the header is as tall as one control.
    const header = await page.locator('header').boundingBox();
    expect(header?.height).toBeLessThan(60);
  });
}

test('below 1024 px the navigation is a menu', async ({ page }) => {
  await page.setViewportSize({ width: 900, height: 800 });
  await openPage(page, '/');
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeHidden();
  await page.getByRole('button', { name: 'Main menu' }).click();
  const menu = page.getByRole('menu');
  await expect(menu.getByRole('menuitem', { name: 'Dead letters' })).toBeVisible();
  await page.keyboard.press('ArrowDown');
  await menu.getByRole('menuitem', { name: 'Dead letters' }).click();
  await expect(page).toHaveURL(/\/dead-letters$/);
});

test('on a 390 px phone the header fits: no control overlaps another or leaves the screen', async ({
  page,
}) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await openPage(page, '/');
  const boxes = await page.locator('header a, header button, header input').evaluateAll((els) =>
    els
      .filter((el) => (el as HTMLElement).offsetParent !== null)
      .map((el) => {
        const r = el.getBoundingClientRect();
        return {
          name: el.getAttribute('aria-label') || el.textContent?.trim(),
          left: r.left,
          right: r.right,
        };
      }),
  );
  expect(boxes.map((b) => b.name)).toEqual([
    'Herald',
    'Main menu',
    'Look up an order, email, event or key',
    expect.stringMatching(/^Account menu of /),
  ]);
  for (const [i, b] of boxes.entries()) {
    expect(b.left, `${b.name} on screen`).toBeGreaterThanOrEqual(0);
    expect(b.right, `${b.name} on screen`).toBeLessThanOrEqual(390);
    const next = boxes[i + 1];
    if (next) expect(b.right, `${b.name} clear of ${next.name}`).toBeLessThanOrEqual(next.left);
  }
  // The lookup box keeps room to type in.
  expect((boxes[2]?.right ?? 0) - (boxes[2]?.left ?? 0)).toBeGreaterThanOrEqual(100);
});

test('the account menu holds the account pages and sign-out', async ({ page }) => {
  await openPage(page, '/');
  await page.getByRole('button', { name: /^Account menu of / }).click();
  const menu = page.getByRole('menu');
  for (const name of ['Account', 'Audit log', 'Users', 'API keys', 'Sign out'])
    await expect(menu.getByRole('menuitem', { name, exact: true })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(menu).toBeHidden();
});

test('signed-out pages show the form alone: no navigation, no search box', async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  for (const path of ['/sign-in', '/setup?token=nothing']) {
    await page.goto(path);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    await expect(page.getByRole('navigation')).toHaveCount(0);
    await expect(page.getByRole('searchbox')).toHaveCount(0);
    await expect(page.getByRole('button', { name: /menu/i })).toHaveCount(0);
  }
  await expect(page.getByRole('button', { name: 'Sign in' })).toHaveCount(0); // setup page: no sign-in form
  await page.goto('/sign-in');
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await context.close();
});

const ISO = /\d{4}-\d\d-\d\dT\d\d:\d\d/;

test('no page shows an ISO timestamp; times are <time> elements with the exact UTC on hover', async ({
  page,
}) => {
  test.setTimeout(120_000);
  for (const template of CONSOLE_PAGES) {
    const path = template
      .replace(':event', String(eventIds[0]))
      .replace(':delivery', String(deliveryId))
      .replace(':key', `craft:${run}:0`);
    await openPage(page, path);
    // biome-ignore lint/performance/useDomNodeTextContent: what a reader sees (innerText) is what is checked
    const visible = () => page.locator('body').evaluate((b) => (b as HTMLElement).innerText);
    await expect.poll(async () => (await visible()).match(ISO)?.[0] ?? null, { message: path }).toBeNull();
  }
  await openPage(page, `/events?key=craft:${run}:1`);
  const time = page.getByRole('table', { name: 'Events' }).locator('time').first();
  await expect(time).toHaveText(/ago$|^just now$/);
  await time.hover();
  await expect(page.getByRole('tooltip')).toContainText(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC/);
});

test('the events explorer shows at least 25 rows in a 900 px viewport; j/k select, Enter opens, / searches', async ({
  page,
}) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await openPage(page, '/events?channel=email.send');
  const rows = page.getByRole('table', { name: 'Events' }).locator('tbody tr');
  await expect(rows.first()).toBeVisible();
  const visible = await rows.evaluateAll(
    (trs) => trs.filter((tr) => tr.getBoundingClientRect().bottom <= window.innerHeight).length,
  );
  expect(visible).toBeGreaterThanOrEqual(25);
  // Sticky headers: still on screen after scrolling the list.
  await page.mouse.wheel(0, 600);
  await expect
    .poll(async () => (await page.getByRole('columnheader', { name: 'Channel' }).boundingBox())?.y ?? -1)
    .toBeGreaterThanOrEqual(0);
  await page.mouse.wheel(0, -2000);

  // Keyboard: j twice, k once → the second row; Enter opens it.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await expect(async () => {
    await page.keyboard.press('j');
    await expect(rows.first()).toHaveAttribute('aria-selected', 'true', { timeout: 500 });
  }).toPass({ timeout: 10_000 });
  await page.keyboard.press('j');
  await page.keyboard.press('j');
  await page.keyboard.press('k');
  await expect(rows.nth(1)).toHaveAttribute('aria-selected', 'true');
  await expect(rows.first()).not.toHaveAttribute('aria-selected', 'true');
  const href = await rows.nth(1).getAttribute('data-href');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`${href}$`));
  await page.keyboard.press('/');
  await expect(page.getByRole('searchbox', { name: 'Look up an order, email, event or key' })).toBeFocused();
});

test('counts read as words: no "(s)" on any page', async ({ page }) => {
  for (const path of ['/events', `/lookup?q=craft:${run}:2`, `/deliveries/${deliveryId}`, '/dead-letters']) {
    await openPage(page, path);
    // biome-ignore lint/performance/useDomNodeTextContent: visible text, as a reader sees it
    const text = await page.locator('main').evaluate((m) => (m as HTMLElement).innerText);
    // Our own words only: provider error texts quoted on the page ("recipient(s)") are theirs.
    expect(text, path).not.toMatch(/\b(event|attempt|deliver(y|ie)|item|key|subscription)\(s\)/);
  }
});

test('a payload opens in a side panel: its JSON folds level by level and copies as stored', async ({
  page,
  baseURL,
}) => {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.setViewportSize({ width: 1440, height: 900 });
  const token = await publishKey(page.request, baseURL ?? '', 'e2e-craft-panel');
  const payload = {
    orderId: `panel-${run}`,
    customer: { email: 'panel@craft.example', name: 'Ann Panel' },
    total: 42.5,
    currency: 'EUR',
    items: [{ name: 'Lamp', quantity: 2, price: 21.25 }],
  };
  const id = await publish(page.request, token, 'order.approved', payload, `panel:${run}`);
  await openPage(page, `/events?key=panel:${run}`);
  const opener = page.getByRole('button', { name: `Payload of event ${id}` });
  await opener.click();
  const panel = page.getByRole('dialog', { name: new RegExp(`^Payload of event ${id}\\b`) });
  await expect(panel).toBeVisible();
  // A side panel: against the right edge, the viewport's full height.
  const box = await panel.boundingBox();
  expect(Math.round((box?.x ?? 0) + (box?.width ?? 0))).toBe(1440);
  expect(Math.round(box?.height ?? 0)).toBe(900);
  // The panel passes axe in both themes, like every page (e2e/axe-accessibility.spec.ts).
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    const { violations } = await new AxeBuilder({ page })
      .include('[role="dialog"]')
      .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
      .analyze();
    expect(
      violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id),
      colorScheme,
    ).toEqual([]);
  }

  // Fold and unfold one level; the folded line says what it hides.
  const name = panel.getByText('"Ann Panel"');
  await expect(name).toBeVisible();
  const customer = panel.locator('summary', { hasText: '"customer"' });
  await customer.click();
  await expect(name).toBeHidden();
  await expect(customer).toHaveText(/"customer": \{\s*2 keys \}/);
  await expect(panel.getByText('"Lamp"')).toBeVisible();
  await customer.click();
  await expect(name).toBeVisible();

  await panel.getByRole('button', { name: 'Copy JSON' }).click();
  await expect(panel.getByRole('status')).toHaveText('Copied');
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(JSON.parse(copied)).toEqual(payload);

  await expectFocusTrapped(page, new RegExp(`^Payload of event ${id}\\b`));
  await expect(opener).toBeFocused();
});

test('the row selected with j stays selected when a live update adds a row above it', async ({
  page,
  baseURL,
}) => {
  test.setTimeout(120_000);
  const origin = baseURL ?? '';
  const token = await publishKey(page.request, origin, 'e2e-craft-select');
  await deadLetter(page, origin, token, `select-a-${run}@craft.example`);
  await deadLetter(page, origin, token, `select-b-${run}@craft.example`);
  await openPage(page, '/dead-letters?subscription=email');
  const rows = page
    .getByRole('table', { name: 'Dead deliveries, newest first' })
    .locator('tbody tr[data-href]');
  await expect(rows.nth(2)).toBeVisible();
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await expect(async () => {
    await page.keyboard.press('j');
    await expect(rows.first()).toHaveAttribute('aria-selected', 'true', { timeout: 500 });
  }).toPass({ timeout: 10_000 });
  await page.keyboard.press('j');
  const chosen = await rows.nth(1).getAttribute('data-href');
  const below = await rows.nth(2).getAttribute('data-href');
  const top = await rows.first().getAttribute('data-href');
  await expect(page.locator(`tr[data-href="${chosen}"]`)).toHaveAttribute('aria-selected', 'true');

  // A new dead letter arrives; the page's live refresh (every 5 s) puts it on top.
  await deadLetter(page, origin, token, `select-c-${run}@craft.example`);
  await expect(rows.first()).not.toHaveAttribute('data-href', top ?? '', { timeout: 30_000 });
  await expect(page.locator(`tr[data-href="${chosen}"]`)).toHaveAttribute('aria-selected', 'true');
  await expect(page.locator('tr[aria-selected="true"]')).toHaveCount(1);
  // And j moves on from the chosen row, not from where it used to be.
  await page.keyboard.press('j');
  await expect(page.locator(`tr[data-href="${below}"]`)).toHaveAttribute('aria-selected', 'true');
});

test('a finished replay says so in a toast with a link to what it queued', async ({ page }) => {
  await openPage(page, '/dead-letters?subscription=email');
  await page
    .getByRole('checkbox', { name: /^Select delivery \d+$/ })
    .first()
    .check();
  await page.getByRole('button', { name: 'Replay 1 selected' }).click();
  const dialog = page.getByRole('dialog', { name: 'Replay 1 selected' });
  await dialog.getByRole('button', { name: 'Confirm replay' }).click();
  await expect(dialog.getByRole('status', { name: 'Summary' })).toHaveText('1 replayed', { timeout: 30_000 });
  // The toast comes as the dialog closes: under the modal it could not be clicked.
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
  const toast = page.locator('[data-sonner-toast]').filter({ hasText: '1 delivery queued for replay' });
  await expect(toast).toBeVisible();
  await toast.getByRole('link', { name: 'view' }).click();
  await expect(page).toHaveURL(/\/events\?state=pending$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Events' })).toBeVisible();
});
