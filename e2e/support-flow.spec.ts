import type { APIRequestContext, Page } from '@playwright/test';
import { expect, test } from './support/signed-in';

/**
 * Issue 7's support story in a real browser against the real start command (which runs the
 * Postmark sandbox: the e2e server has no POSTMARK_SERVER_TOKEN). A customer on the phone asks
 * whether their order email went out; the agent types their email address into the header's
 * search and reads the answer in plain words, with the attempts as evidence.
 *
 * One order is delivered (the sandbox posts a Delivery webhook). For the other customer, an
 * earlier email hard-bounced — the sandbox then marks the address inactive, as Postmark does —
 * so their order's email is refused (Postmark's 406) and dies at once.
 */

/** A publishing API key, created by the signed-in admin as an application's owner would. */
async function publishKey(request: APIRequestContext, origin: string): Promise<string> {
  const response = await request.post('/api/auth/api-keys', {
    headers: { origin },
    data: { name: `e2e-support-flow-${Date.now()}`, scopes: ['publish'], publishChannels: ['order.*'] },
  });
  expect(response.status(), await response.text()).toBe(201);
  return ((await response.json()) as { token: string }).token;
}

async function publishOrder(
  request: APIRequestContext,
  token: string,
  orderId: string,
  email: string,
): Promise<number> {
  const response = await request.post('/api/v1/events', {
    headers: { authorization: `Bearer ${token}` },
    data: {
      channel: 'order.approved',
      key: `order:${orderId}`,
      payload: { orderId, customer: { email, name: 'Support Flow' }, total: 42, currency: 'EUR' },
    },
  });
  expect(response.status(), await response.text()).toBe(201);
  return ((await response.json()) as { id: number }).id;
}

/** What a support agent does: the header's search box, from whatever page they are on. */
async function search(page: Page, text: string) {
  const box = page.getByRole('searchbox', { name: 'Look up an order, email, event or key' });
  await box.fill(text);
  await box.press('Enter');
  await expect(page).toHaveURL((url) => url.pathname === '/lookup' && url.searchParams.get('q') === text);
}

/** The verdict of one event in the lookup, once the worker and the sandbox's webhook got there. */
async function verdictOf(page: Page, email: string, eventId: number, expected: RegExp) {
  const verdict = page.getByRole('status', { name: `Verdict for event ${eventId}` });
  // The lookup is a snapshot: searching again is what the agent would do while waiting.
  await expect(async () => {
    await search(page, email);
    await expect(verdict).toContainText(expected, { timeout: 1_000 });
  }).toPass({ timeout: 45_000 });
  return verdict;
}

test('support: the customer whose email went out, and the one whose email died', async ({
  page,
  baseURL,
  context,
}) => {
  test.setTimeout(150_000);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const token = await publishKey(page.request, baseURL ?? '');
  const run = Date.now();
  const delivered = { email: `ada.${run}@support.example`, orderId: `SUP-${run}-1` };
  // The sandbox bounces mail to hardbounce@… (Postmark's own testing convention).
  const gone = { email: `hardbounce@gone-${run}.example`, orderId: `SUP-${run}-2` };

  const deliveredId = await publishOrder(page.request, token, delivered.orderId, delivered.email);
  const bouncedId = await publishOrder(page.request, token, `SUP-${run}-0`, gone.email);
  await page.goto('/');

  // ── Delivered: the mail server's report, with the attempt and Postmark's message id. ──
  const ok = await verdictOf(
    page,
    delivered.email,
    deliveredId,
    /^Delivered to the recipient's mail server at (\d{1,2} \w{3} )?\d\d:\d\d:\d\d/,
  );
  await expect(ok).toContainText(/Postmark message [0-9a-f-]{36}/);
  const event = page.getByRole('article', { name: `Event ${deliveredId}` });
  await expect(event).toContainText(`order:${delivered.orderId}`);
  await expect(event).toContainText('matched by customer email');
  const attempts = event.getByRole('list', { name: /^Attempts of delivery \d+$/ });
  await expect(attempts.getByRole('listitem')).toHaveCount(1);
  await expect(attempts).toContainText('Attempt 1');
  await expect(attempts).toContainText('succeeded');
  await expect(attempts).toContainText('scheduled');
  await expect(event.getByRole('list', { name: /^Provider events of delivery/ })).toContainText(
    'Delivery at',
  );
  // The ticket-ready text says the same.
  await event.getByRole('button', { name: 'Copy summary', exact: true }).click();
  await expect(event.getByText('Copied', { exact: true })).toBeVisible();
  const summary = await page.evaluate(() => navigator.clipboard.readText());
  expect(summary).toContain("Delivered to the recipient's mail server at");
  expect(summary).toContain(`Event ${deliveredId}`);

  // ── The earlier email hard-bounced: Postmark (the sandbox) now refuses the address. ──
  await verdictOf(page, gone.email, bouncedId, /^Bounced at (\d{1,2} \w{3} )?\d\d:\d\d:\d\d/);
  const refusedId = await publishOrder(page.request, token, gone.orderId, gone.email);
  const refused = await verdictOf(
    page,
    gone.email,
    refusedId,
    /^Rejected: the recipient is marked inactive at Postmark \(hard bounce on \d{1,2} \w{3} \d{4}\)/,
  );
  await expect(refused).toContainText('a replay would be refused again');
  const dead = page.getByRole('article', { name: `Event ${refusedId}` });
  await expect(
    dead.getByRole('heading', { name: /Delivery \d+ → order-confirmation-email \(dead\)/ }),
  ).toBeVisible();
  const deadAttempts = dead.getByRole('list', { name: /^Attempts of delivery \d+$/ });
  await expect(deadAttempts.getByRole('listitem')).toHaveCount(1);
  await expect(deadAttempts).toContainText('Attempt 1');
  await expect(deadAttempts).toContainText('[postmark_406]');
  // Both of this customer's orders are on the page, newest first.
  const articles = page.getByRole('article', { name: /^Event \d+$/ });
  await expect(articles).toHaveCount(2);
  await expect(articles.first()).toHaveAccessibleName(`Event ${refusedId}`);
  await expect(page.getByText(`2 events for “${gone.email}”`)).toBeVisible();
});
