import type { APIRequestContext } from '@playwright/test';
import { expect, test } from './support/signed-in';

/**
 * Issue 8's story in a real browser against the real start command, which runs the Postmark
 * sandbox because the e2e server has no POSTMARK_SERVER_TOKEN: an order is published over the
 * HTTP API, its confirmation shows up in the Sandbox outbox, and the order's lookup says
 * "delivered" with the evidence the sandbox's Delivery webhook left.
 */

/** A publish-only API key, created by the signed-in admin (as an application's owner would). */
async function publishKey(request: APIRequestContext, origin: string): Promise<string> {
  const response = await request.post('/api/auth/api-keys', {
    headers: { origin },
    data: { name: `e2e-email-demo-${Date.now()}`, scopes: ['publish'], publishChannels: ['order.*'] },
  });
  expect(response.status(), await response.text()).toBe(201);
  return ((await response.json()) as { token: string }).token;
}

test('an approved order: sent to the sandbox, seen in the outbox, delivered in its lookup', async ({
  page,
  baseURL,
}) => {
  test.setTimeout(90_000);
  const token = await publishKey(page.request, baseURL ?? '');
  const orderId = `E2E-${Date.now()}`;
  const published = await page.request.post('/api/v1/events', {
    headers: { authorization: `Bearer ${token}` },
    data: {
      channel: 'order.approved',
      key: `order:${orderId}`,
      payload: {
        orderId,
        customer: { email: 'grace.hopper@example.com', name: 'Grace <b>Hopper</b>' },
        total: 73.4,
        currency: 'USD',
        items: [
          { name: 'Espresso beans, 1 kg', quantity: 2, price: 24.5 },
          { name: 'Insulated travel mug', quantity: 1, price: 24.4 },
        ],
      },
    },
  });
  expect(published.status(), await published.text()).toBe(201);

  // ── The outbox: the message, then its Delivery webhook (the sandbox posts it ~1 s later). ──
  const subject = `Your order ${orderId} is confirmed`;
  await page.goto('/sandbox');
  await expect(page.getByRole('heading', { level: 1, name: 'Sandbox outbox' })).toBeVisible();
  await expect(
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sandbox' }),
  ).toHaveAttribute('aria-current', 'page');
  const row = page.getByRole('row').filter({ hasText: subject });
  // The page refreshes itself every 5 s; reloading only shortens the wait.
  await expect(async () => {
    await page.reload();
    await expect(row.getByText('Delivered')).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 45_000 });
  await expect(row).toContainText('grace.hopper@example.com');
  const messageId = ((await row.getByRole('cell').nth(4).textContent()) ?? '').trim();
  expect(messageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

  await row.getByRole('link', { name: subject }).click();
  const opened = page.getByRole('article', { name: 'Opened message' });
  await expect(opened).toContainText(messageId);
  await expect(opened).toContainText('Delivery webhook posted');
  await expect(opened.getByTestId('text-body')).toContainText(`Order ${orderId} has been approved`);
  // The HTML part runs in a sandboxed frame, and the customer's name arrives escaped, not as markup.
  await expect(opened.locator('iframe[title="HTML body"]')).toHaveAttribute('sandbox', '');
  const html = opened.frameLocator('iframe[title="HTML body"]');
  await expect(html.getByText('Hello Grace <b>Hopper</b>,')).toBeVisible();
  await expect(html.locator('b')).toHaveCount(0);

  // ── Herald's record: the delivery succeeded, and its attempt kept the MessageID the outbox shows. ──
  const { id: eventId } = (await published.json()) as { id: number };
  const event = await page.request.get(`/api/v1/events/${eventId}`);
  expect(event.status()).toBe(200);
  const { deliveries } = (await event.json()) as {
    deliveries: { subscription: string; state: string; attemptHistory: { result: unknown }[] }[];
  };
  const confirmation = deliveries.find((d) => d.subscription === 'order-confirmation-email');
  expect(confirmation?.state).toBe('succeeded');
  expect(confirmation?.attemptHistory.at(-1)?.result).toMatchObject({ messageId });

  // ── The lookup a support agent would do: delivered, with Postmark's (the sandbox's) evidence. ──
  await page.goto(`/lookup?q=${encodeURIComponent(`order:${orderId}`)}`);
  const delivery = page.getByRole('region', { name: /to order-confirmation-email$/ });
  await expect(delivery.getByRole('status', { name: /^Verdict for delivery/ })).toContainText(/delivered/i);
  const evidence = delivery.getByRole('list', { name: /^Provider events of delivery/ });
  await expect(evidence).toContainText('Delivery');
  await expect(evidence).toContainText(messageId);
});

test('operators control the sandbox: an inactive address is refused (406) and the change is audited', async ({
  page,
  baseURL,
}) => {
  const email = `inactive-${Date.now()}@example.com`;
  await page.goto('/sandbox');
  await page.getByText('Controls', { exact: true }).click();
  const form = page.getByRole('form', { name: 'Mark an address inactive' });
  await form.getByLabel('Email').fill(email);
  await form.getByRole('button', { name: 'Mark inactive' }).click();
  const listed = page.getByRole('listitem').filter({ hasText: email });
  await expect(listed).toContainText('ManualSuppression');

  const token = await publishKey(page.request, baseURL ?? '');
  const orderId = `E2E-${Date.now()}`;
  const published = await page.request.post('/api/v1/events', {
    headers: { authorization: `Bearer ${token}` },
    data: {
      channel: 'order.approved',
      key: `order:${orderId}`,
      payload: { orderId, customer: { email, name: 'Gone Away' }, total: 10 },
    },
  });
  expect(published.status()).toBe(201);
  const row = page.getByRole('row').filter({ hasText: `Your order ${orderId} is confirmed` });
  await expect(async () => {
    await page.reload();
    await expect(row.getByText('Refused: inactive')).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });

  await page.getByText('Controls', { exact: true }).click(); // folded again by the reload
  await page
    .getByRole('listitem')
    .filter({ hasText: email })
    .getByRole('button', { name: 'Reactivate' })
    .click();
  await expect(page.getByRole('listitem').filter({ hasText: email })).toHaveCount(0);

  await page.goto('/audit?action=sandbox.update');
  await expect(page.getByRole('cell', { name: /sandbox\.update/ }).first()).toBeVisible();
});
