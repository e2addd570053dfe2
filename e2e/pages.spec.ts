import type { APIRequestContext, Page } from '@playwright/test';
import { expect, signInAsAdmin, test } from './support/signed-in';

/**
 * Every page of issue 7 renders in a real browser against the production build, signed in, with
 * real data behind it: no error page, no uncaught error in the browser, the heading and the data
 * the page exists for. (test/routes-protected.test.ts covers who may open them.)
 */

async function publishKey(request: APIRequestContext, origin: string): Promise<string> {
  const response = await request.post('/api/auth/api-keys', {
    headers: { origin },
    data: { name: `e2e-pages-${Date.now()}`, scopes: ['publish'], publishChannels: ['order.*'] },
  });
  expect(response.status(), await response.text()).toBe(201);
  return ((await response.json()) as { token: string }).token;
}

/**
 * Uncaught errors, console errors (hydration included) and failed requests in the page, for the
 * test to assert there are none. The browser's own favicon probe is not the dashboard's doing.
 */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    // "Failed to load resource" names no URL: the response listener below reports it with one.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      errors.push(message.text());
  });
  page.on('response', (response) => {
    if (response.status() >= 400 && new URL(response.url()).pathname !== '/favicon.ico')
      errors.push(`${response.status()} ${response.url()}`);
  });
  return errors;
}

async function open(page: Page, path: string, heading: string | RegExp) {
  const response = await page.goto(path);
  expect(response?.status(), path).toBe(200);
  await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
}

const run = Date.now();
const order = { id: `PAGES-${run}`, email: `grace.${run}@pages.example` };
let eventId = 0;
let deliveryId = 0;

test.beforeAll(async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await signInAsAdmin(page, baseURL ?? '');
  const token = await publishKey(page.request, baseURL ?? '');
  const published = await page.request.post('/api/v1/events', {
    headers: { authorization: `Bearer ${token}` },
    data: {
      channel: 'order.approved',
      key: `order:${order.id}`,
      payload: { orderId: order.id, customer: { email: order.email, name: 'Grace' }, total: 12.5 },
    },
  });
  expect(published.status(), await published.text()).toBe(201);
  eventId = ((await published.json()) as { id: number }).id;
  // Wait for the worker: the pages should show a finished delivery, not a queued one.
  await expect
    .poll(
      async () => {
        const event = await (await page.request.get(`/api/v1/events/${eventId}`)).json();
        const delivery = (event as { deliveries: { id: number; state: string }[] }).deliveries[0];
        deliveryId = delivery?.id ?? 0;
        return delivery?.state;
      },
      { timeout: 30_000 },
    )
    .toBe('succeeded');
  await context.close();
});

test('lookup: empty, by order id, by email, and nothing found', async ({ page }) => {
  const errors = watchErrors(page);
  await open(page, '/lookup', 'Lookup');
  await expect(page.getByText("Type an order id, a customer's email address")).toBeVisible();

  await open(page, `/lookup?q=${order.id}`, 'Lookup');
  const event = page.getByRole('article', { name: `Event ${eventId}` });
  await expect(event.getByRole('status', { name: `Verdict for event ${eventId}` })).toContainText(
    /^(Delivered to the recipient's mail server|Accepted by Postmark) at /,
  );
  // "PAGES-…" is both an order id and (as order:PAGES-…) a key.
  await expect(event).toContainText(/matched by (key, )?order id/);
  await expect(event.getByRole('list', { name: `Attempts of delivery ${deliveryId}` })).toContainText(
    'Attempt 1',
  );
  await expect(page.getByText(/times in UTC$/)).toBeVisible();

  // The lookup page's own box, by keyboard.
  const box = page.getByRole('searchbox', { name: 'Order id, email address, event id or key' });
  await box.fill(order.email);
  await box.press('Enter');
  await expect(page.getByRole('article', { name: `Event ${eventId}` })).toContainText(
    'matched by customer email',
  );

  await open(page, '/lookup?q=nobody-ever@pages.example', 'Lookup');
  await expect(page.getByRole('status', { name: 'Lookup verdict' })).toBeVisible();
  expect(errors).toEqual([]);
});

test('"/" focuses the header search from any page', async ({ page }) => {
  await open(page, '/subscriptions', 'Subscriptions');
  const box = page.getByRole('searchbox', { name: 'Look up an order, email, event or key' });
  // The shortcut is a client-side listener: it exists once the page has hydrated, which on a
  // busy machine may come after the heading is visible. Press again until it has.
  await expect(async () => {
    await page.keyboard.press('/');
    await expect(box).toBeFocused({ timeout: 500 });
  }).toPass({ timeout: 15_000 });
});

test('events explorer: filters in the URL, the event and its detail page', async ({ page }) => {
  const errors = watchErrors(page);
  await open(page, '/events', 'Events');
  await expect(
    page.getByRole('table', { name: 'Events' }).getByRole('link', { name: `Event ${eventId}` }),
  ).toBeVisible();

  // Filtering by a payload field puts it in the URL, so the view can be shared.
  const filter = page.getByRole('form', { name: 'Filter events' });
  await filter.getByLabel('Payload field').fill(`customer.email=${order.email}`);
  await filter.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL((url) => url.searchParams.get('field') === `customer.email=${order.email}`);
  const list = page.getByRole('table', { name: 'Events' });
  await expect(list.locator('tbody tr')).toHaveCount(1);
  await expect(list).toContainText(`order:${order.id}`);
  // The payload, one line, cut to the column (whole in its tooltip).
  await expect(list).toContainText(`"email":"${order.email}"`);

  await open(page, `/events?key=order:${order.id}&state=dead`, 'Events');
  await expect(page.getByText('No event matches these filters.')).toBeVisible();

  await open(page, `/events/${eventId}`, `Event ${eventId}`);
  await expect(page.getByRole('status', { name: `Verdict for event ${eventId}` })).toBeVisible();
  await expect(page.getByTestId('payload')).toContainText(order.email);
  await expect(
    page.getByRole('region', { name: `Delivery ${deliveryId} to order-confirmation-email` }),
  ).toBeVisible();

  expect(errors).toEqual([]);
  const missing = await page.goto('/events/999999999');
  expect(missing?.status()).toBe(404);
});

test('delivery detail: state, payload and the attempt list', async ({ page }) => {
  const errors = watchErrors(page);
  await open(page, `/deliveries/${deliveryId}`, `Delivery ${deliveryId}`);
  await expect(page.getByTestId('delivery-state')).toHaveText('succeeded');
  await expect(page.getByRole('list', { name: `Attempts of delivery ${deliveryId}` })).toContainText(
    'succeeded',
  );
  expect(errors).toEqual([]);
});

test('dead letters: groups, list and filters render (empty or not)', async ({ page }) => {
  const errors = watchErrors(page);
  await open(page, '/dead-letters', 'Dead letters');
  await expect(page.getByRole('form', { name: 'Filter dead letters' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'By subscription and error' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Dead deliveries' })).toBeVisible();
  await open(page, '/dead-letters?window=1h&error=nothing-like-this', 'Dead letters');
  await expect(page.getByText('No dead delivery matches these filters.')).toBeVisible();
  expect(errors).toEqual([]);
});

test('subscriptions: stats, retry policy in words, pause with a reason and resume', async ({
  page,
  baseURL,
}) => {
  const errors = watchErrors(page);
  await open(page, '/subscriptions', 'Subscriptions');
  const email = page.getByRole('region', { name: 'Subscription email' });
  await expect(email).toContainText('Running');
  await expect(email).toContainText('Due now');
  await expect(email.getByText(/attempt/i).first()).toBeVisible();
  try {
    await email.getByRole('button', { name: 'Pause email' }).click();
    const dialog = page.getByRole('dialog', { name: 'Pause email?' });
    await dialog.getByLabel('Reason').fill('e2e: checking the paused view');
    await dialog.getByRole('button', { name: 'Confirm pause' }).click();
    // The paused view shows who and when (a timestamp from a raw statement), and why.
    await expect(email).toContainText(/Paused by user:\S+ (\d+ s ago|just now): e2e: checking/);
    await email.getByRole('button', { name: 'Resume email' }).click();
    await page
      .getByRole('dialog', { name: 'Resume email?' })
      .getByRole('button', { name: 'Confirm resume' })
      .click();
    await expect(email).toContainText('Running');
  } finally {
    // Never leave the shared server's subscription paused for the specs after this one.
    await page.request.post('/api/v1/subscriptions/email/resume', {
      headers: { origin: baseURL ?? '' },
      data: { reason: 'e2e cleanup' },
    });
  }
  expect(errors).toEqual([]);
});
