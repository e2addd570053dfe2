import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { e2eDatabaseUrl } from './support/e2e-database';
import { expect, test } from './support/signed-in';

/**
 * The Alerts page in a real browser against the real start command (issue #21): a real alert
 * fires after an operator lowers a rule's threshold on the page (the dead-letter rollups hold a
 * few dead deliveries); a viewer sees it but no button to acknowledge, silence or edit, and the
 * API refuses them; the operator acknowledges and silences it; the admin adds a Slack
 * destination (a local receiver), sees its URL — the viewer does not — and sends a test alert,
 * which the running worker delivers.
 */
const SUBSCRIPTION = 'order-confirmation-email';
const VIEWER = { email: 'alerts-viewer@e2e.example', password: 'alerts viewer password 1', role: 'viewer' };
const OPERATOR = {
  email: 'alerts-operator@e2e.example',
  password: 'alerts operator password 1',
  role: 'operator',
};

let pool: pg.Pool;
const received: string[] = [];
const receiver = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    received.push(body);
    res.end('ok');
  });
});
let receiverUrl = '';

test.beforeAll(async () => {
  pool = new pg.Pool({ connectionString: e2eDatabaseUrl(), max: 2 });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/services/T0/B0/e2e-secret-path`;
});
test.afterAll(async () => {
  await pool?.query(`DELETE FROM herald.activity WHERE subscription = $1 AND dead = 7`, [SUBSCRIPTION]);
  await pool?.query(
    `UPDATE herald.alert_rules SET threshold = 10 WHERE kind = 'dead_growth' AND subscription = ''`,
  );
  await pool?.query(`DELETE FROM herald.alert_destinations WHERE name = 'e2e-slack'`);
  await pool?.end();
  receiver.closeAllConnections();
  await new Promise((r) => receiver.close(r));
});

test('alerts: operators handle them, viewers only look, admins manage destinations', async ({
  page,
  browser,
  baseURL,
}) => {
  test.setTimeout(180_000);
  const origin = baseURL ?? '';
  for (const u of [VIEWER, OPERATOR]) {
    const created = await page.request.post('/api/auth/users', { data: u, headers: { origin } });
    expect([201, 409]).toContain(created.status());
  }
  // The worker writes the default rules on its first round.
  await expect
    .poll(
      async () => (await pool.query(`SELECT 1 FROM herald.alert_rules WHERE kind = 'dead_growth'`)).rowCount,
      {
        timeout: 30_000,
      },
    )
    .toBe(1);
  // Seven deliveries of the subscription went dead a minute ago, as the rollups count them.
  await pool.query(
    `INSERT INTO herald.activity (resolution, bucket, subscription, dead)
     VALUES ('second', date_trunc('second', now()) - interval '60 seconds', $1, 7)
     ON CONFLICT (resolution, bucket, channel, subscription) DO UPDATE SET dead = 7`,
    [SUBSCRIPTION],
  );

  // ── The operator lowers the threshold on the page; the alert fires ────────────────────────
  const operatorContext = await browser.newContext({ baseURL });
  const operator = await operatorContext.newPage();
  expect(
    (
      await operator.request.post('/api/auth/sign-in', {
        data: { email: OPERATOR.email, password: OPERATOR.password },
        headers: { origin },
      })
    ).status(),
  ).toBe(200);
  await operator.goto('/alerts');
  await expect(operator.getByRole('heading', { name: 'Alerts', exact: true })).toBeVisible();
  const rule = operator.getByRole('form', { name: 'Rule dead_growth' });
  await rule.getByLabel('more than').fill('5');
  await rule.getByRole('button', { name: 'Save rule dead_growth' }).click();
  await expect(operator.getByText('Rule dead_growth saved')).toBeVisible();
  const row = operator
    .getByRole('row')
    .filter({ hasText: 'Dead letters growing' })
    .filter({ hasText: SUBSCRIPTION });
  await expect
    .poll(
      async () => {
        await operator.reload();
        return row.count();
      },
      { timeout: 60_000, intervals: [1_000] },
    )
    .toBe(1);
  // At least the seven seeded: specs before this one on the shared server make dead letters too.
  await expect(row).toContainText(/\d+ deliveries went to the dead letters/);
  const dead = Number((await row.textContent())?.match(/(\d+) deliveries went to the dead letters/)?.[1]);
  expect(dead).toBeGreaterThanOrEqual(7);
  const alertId = Number((await row.getAttribute('id'))?.replace('alert-', ''));

  // ── A viewer sees it, and nothing to press ────────────────────────────────────────────────
  const viewerContext = await browser.newContext({ baseURL });
  const viewer = await viewerContext.newPage();
  expect(
    (
      await viewer.request.post('/api/auth/sign-in', {
        data: { email: VIEWER.email, password: VIEWER.password },
        headers: { origin },
      })
    ).status(),
  ).toBe(200);
  await viewer.goto('/alerts');
  const seen = viewer
    .getByRole('row')
    .filter({ hasText: 'Dead letters growing' })
    .filter({ hasText: SUBSCRIPTION });
  await expect(seen).toBeVisible();
  await expect(
    viewer.getByRole('button', { name: /Acknowledge|Silence|Save rule|Send a test alert|Remove/ }),
  ).toHaveCount(0);
  for (const [path, data] of [
    [`/api/v1/alerts/${alertId}/acknowledge`, {}],
    [`/api/v1/alerts/${alertId}/silence`, { minutes: 60 }],
  ] as const) {
    expect((await viewer.request.post(path, { data, headers: { origin } })).status()).toBe(403);
  }
  expect(
    (
      await viewer.request.put('/api/v1/alerts/rules', {
        data: { kind: 'stall', windowSeconds: 1 },
        headers: { origin },
      })
    ).status(),
  ).toBe(403);

  // ── The operator acknowledges and silences it (both audited) ─────────────────────────────
  await operator.reload();
  await row.getByRole('button', { name: `Acknowledge alert ${alertId}` }).click();
  await expect(row).toContainText(`Acknowledged by user:${OPERATOR.email}`);
  await row.getByRole('button', { name: `Silence alert ${alertId}` }).click();
  const dialog = operator.getByRole('dialog', { name: `Silence alert ${alertId}` });
  await dialog.getByLabel('For').selectOption('240');
  await dialog.getByLabel('Reason (optional)').fill('known: e2e');
  await dialog.getByRole('button', { name: 'Silence' }).click();
  await expect(row).toContainText(`Silenced by user:${OPERATOR.email}`);
  // Operators may not add destinations.
  await expect(operator.getByRole('form', { name: 'New destination' })).toHaveCount(0);

  // ── The admin adds a Slack destination and sends a test alert through the worker ─────────
  await page.goto('/alerts');
  const form = page.getByRole('form', { name: 'New destination' });
  await form.getByLabel('Kind').selectOption('slack');
  await form.getByLabel('Name').fill('e2e-slack');
  await form.getByLabel('URL').fill(receiverUrl);
  await form.getByRole('button', { name: 'Add destination' }).click();
  await expect(page.getByText('Destination e2e-slack added')).toBeVisible();
  await expect(page.getByRole('row').filter({ hasText: 'e2e-slack' })).toContainText('e2e-secret-path');
  await page.getByRole('button', { name: 'Send a test alert to e2e-slack' }).click();
  await expect.poll(() => received.length, { timeout: 30_000 }).toBeGreaterThan(0);
  expect(JSON.parse(received[0] ?? '{}').text).toContain('[TEST] Herald alert test for e2e-slack');

  // The viewer sees the destination, never its URL.
  await viewer.reload();
  await expect(viewer.getByRole('row').filter({ hasText: 'e2e-slack' })).toBeVisible();
  await expect(viewer.getByText('e2e-secret-path')).toHaveCount(0);
  expect(await (await viewer.request.get('/api/v1/alerts')).text()).not.toContain('e2e-secret-path');

  const audit = await pool.query<{ action: string }>(
    `SELECT action FROM herald.audit_log WHERE action LIKE 'alert.%' ORDER BY id`,
  );
  expect(audit.rows.map((r) => r.action)).toEqual(
    expect.arrayContaining([
      'alert.rule_set',
      'alert.acknowledge',
      'alert.silence',
      'alert.destination_add',
      'alert.destination_test',
    ]),
  );
  await operatorContext.close();
  await viewerContext.close();
});
