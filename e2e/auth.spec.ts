import { expect, type Page, test } from '@playwright/test';
import { E2E_ADMIN, setupToken } from './support/signed-in';

/**
 * The whole story of issue 5 in a real browser against the real start command: first-run setup
 * link → admin → support user → support replays a dead delivery with a reason → the audit log.
 * Runs first (alphabetical order, one worker), while the server still has no users: a spec that
 * signs in must sort after this file (hence e2e/on-call-alerts.spec.ts, not alerts.spec.ts).
 */
const SUPPORT = { email: 'support@e2e.example', password: 'support password 123' };
const REASON = 'Customer asked us to send it again';

async function signIn(page: Page, email: string, password: string) {
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('setup link → admin → support user → support replays with a reason → audit log', async ({ browser }) => {
  test.setTimeout(120_000);
  const token = setupToken();
  expect(token, 'herald start writes the setup link to <HERALD_DATA_DIR>/setup-link.txt').toBeTruthy();

  // ── The admin ──────────────────────────────────────────────────────────────────────────────
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await admin.goto('/');
  await expect(admin).toHaveURL(/\/sign-in\?next=%2F$/);
  await admin.goto(`/setup?token=${token}`);
  await admin.getByLabel('Email', { exact: true }).fill(E2E_ADMIN.email);
  await admin.getByLabel('Password (12 characters or more)', { exact: true }).fill(E2E_ADMIN.password);
  await admin.getByLabel('Password again', { exact: true }).fill(E2E_ADMIN.password);
  await admin.getByRole('button', { name: 'Create admin and sign in' }).click();
  await expect(admin).toHaveURL(/\/admin\/users$/);
  await expect(admin.getByRole('heading', { name: 'Users' })).toBeVisible();
  // The link is spent.
  await admin.goto(`/setup?token=${token}`);
  await expect(admin.getByText('This setup link is not valid any more')).toBeVisible();

  await admin.goto('/admin/users');
  await admin.getByLabel('Email', { exact: true }).fill(SUPPORT.email);
  await admin.getByLabel('Role', { exact: true }).selectOption('support');
  await admin.getByLabel('Password (leave empty to generate one)', { exact: true }).fill(SUPPORT.password);
  await admin.getByRole('button', { name: 'Create user' }).click();
  await expect(admin.getByRole('status')).toContainText(`Created ${SUPPORT.email}`);
  await expect(admin.getByRole('cell', { name: SUPPORT.email, exact: true })).toBeVisible();

  // A publishing key (its secret shown once), to make a delivery that dies.
  await admin.goto('/admin/api-keys');
  await admin.getByLabel('Name', { exact: true }).fill('e2e-publisher');
  await admin.getByLabel('publish', { exact: true }).check();
  await admin.getByLabel(/Publish channels/).fill('email.send');
  await admin.getByRole('button', { name: 'Create key' }).click();
  const key = (await admin.getByRole('status').locator('code').textContent()) ?? '';
  expect(key).toMatch(/^hk_[0-9a-f]{8}_/);
  await admin.reload();
  await expect(admin.getByText(key)).toHaveCount(0);

  // The sandbox accepts mail to hardbounce@, bounces it and marks the address inactive; the next
  // email to it is refused for good (Postmark's 406) and its delivery is dead at once.
  const headers = { authorization: `Bearer ${key}` };
  let deadId = 0;
  await expect
    .poll(
      async () => {
        const published = await admin.request.post('/api/v1/events', {
          headers,
          data: {
            channel: 'email.send',
            payload: { to: 'hardbounce@example.com', subject: 'Your order', text: 'Thanks!' },
          },
        });
        expect(published.status()).toBe(201);
        const { id } = await published.json();
        for (let i = 0; i < 50; i++) {
          const event = await (await admin.request.get(`/api/v1/events/${id}`)).json();
          const delivery = event.deliveries[0];
          if (delivery.state === 'dead') deadId = delivery.id;
          if (delivery.state === 'dead' || delivery.state === 'succeeded') break;
          await admin.waitForTimeout(200);
        }
        return deadId;
      },
      { timeout: 60_000, intervals: [500] },
    )
    .toBeGreaterThan(0);

  // ── The support user ───────────────────────────────────────────────────────────────────────
  const supportContext = await browser.newContext();
  const support = await supportContext.newPage();
  await support.goto(`/deliveries/${deadId}`);
  await expect(support).toHaveURL(/\/sign-in\?next=/);
  await signIn(support, SUPPORT.email, SUPPORT.password);
  await expect(support).toHaveURL(new RegExp(`/deliveries/${deadId}$`));
  // Support sees payloads unmasked.
  await expect(support.getByTestId('payload')).toContainText('hardbounce@example.com');
  await expect(support.getByTestId('delivery-state')).toHaveText('dead');
  await support.getByLabel('Reason', { exact: true }).fill(REASON);
  const replayed = support.waitForResponse((r) => r.url().endsWith(`/api/v1/deliveries/${deadId}/replay`));
  await support.getByRole('button', { name: 'Replay' }).click();
  expect((await replayed).status()).toBe(200);

  // …but not the users page, and not its API.
  const users = await support.goto('/admin/users');
  expect(users?.status()).toBe(403);
  await expect(support.getByRole('heading', { name: 'Not allowed' })).toBeVisible();
  const api = await support.request.get('/api/auth/users');
  expect(api.status()).toBe(403);

  // ── The audit log shows both ───────────────────────────────────────────────────────────────
  await admin.goto('/audit');
  const created = admin
    .getByRole('row')
    .filter({ hasText: 'user.create' })
    .filter({ hasText: `user:${SUPPORT.email}` });
  await expect(created).toContainText(`user:${E2E_ADMIN.email}`);
  const replay = admin.getByRole('row').filter({ hasText: 'delivery.replay' });
  await expect(replay).toContainText(`user:${SUPPORT.email}`);
  await expect(replay).toContainText(REASON);
  await expect(replay).toContainText(`delivery:${deadId}`);
  // Filters live in the URL.
  await admin.goto(`/audit?actor=${encodeURIComponent(`user:${SUPPORT.email}`)}`);
  await expect(admin.getByRole('row').filter({ hasText: 'user.create' })).toHaveCount(0);
  await expect(admin.getByRole('row').filter({ hasText: 'delivery.replay' })).toHaveCount(1);

  // Sign-out ends the session.
  await support.goto('/account');
  await support.getByRole('button', { name: /^Account menu of / }).click();
  await support.getByRole('menuitem', { name: 'Sign out' }).click();
  await expect(support).toHaveURL(/\/sign-in/);
  await support.goto('/account');
  await expect(support).toHaveURL(/\/sign-in\?next=%2Faccount$/);

  await adminContext.close();
  await supportContext.close();
});

test('pages carry the security headers', async ({ request }) => {
  const response = await request.get('/sign-in');
  const headers = response.headers();
  expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(headers['content-security-policy']).toMatch(/script-src 'self' 'nonce-[^']+' 'strict-dynamic'/);
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('same-origin');
});
