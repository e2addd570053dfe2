import { expect, test } from './support/signed-in';

test('the overview is a real server-rendered page of the dashboard', async ({ page }) => {
  const response = await page.goto('/');
  expect(response?.status()).toBe(200);
  expect(response?.headers()['content-type']).toContain('text/html');
  await expect(page).toHaveTitle('Herald');
  await expect(page.getByRole('banner').getByRole('link', { name: 'Herald' })).toBeVisible();
  await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
  await expect(
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' }),
  ).toHaveAttribute('aria-current', 'page');
  // Read from the database (the live overview, issue 6): queue depth, and the worker the start command ran.
  const queue = page.getByRole('region', { name: 'Queue depth' });
  for (const name of ['Pending (due now)', 'Scheduled for retry', 'Running', 'Dead']) {
    await expect(queue.getByRole('group', { name, exact: true })).toHaveText(
      new RegExp(`^${name.replace(/[()]/g, '\\$&')}\\d[\\d,]*\\+?$`),
    );
  }
  const workers = page.getByRole('region', { name: 'Workers' });
  await expect(workers.getByRole('cell', { name: /· pid \d+$/ }).first()).toBeVisible();
  await expect(workers.getByRole('cell', { name: /^(\d+ s ago|just now)$/ }).first()).toBeVisible();
});

test('/api/health reports the database reachable and a fresh worker heartbeat', async ({ request }) => {
  const response = await request.get('/api/health');
  expect(response.status()).toBe(200);
  expect(response.headers()['cache-control']).toContain('no-store');
  const body = await response.json();
  expect(body).toMatchObject({ status: 'ok', database: 'reachable' });
  expect(Date.parse(body.worker.lastHeartbeatAt)).not.toBeNaN();
  expect(body.worker.ageSeconds).toBeLessThan(60);
  // No connection string, password or host in a public health answer.
  expect(JSON.stringify(body)).not.toMatch(/postgres|password|127\.0\.0\.1/);
});
