import AxeBuilder from '@axe-core/playwright';
import { CONSOLE_PAGES, openPage, publish, publishKey } from './support/console';
import { expect, signInAsAdmin, test } from './support/signed-in';

/**
 * axe over every page in both themes (the console follows the system's colour scheme, so the
 * browser's emulated `prefers-color-scheme` switches it): no serious or critical violation.
 * Named to sort after auth.spec.ts, which must meet the server before anyone has signed in.
 */

let eventId = 0;
let deliveryId = 0;
const key = `a11y:${Date.now()}`;

test.beforeAll(async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await signInAsAdmin(page, baseURL ?? '');
  const token = await publishKey(page.request, baseURL ?? '', 'e2e-a11y');
  eventId = await publish(
    page.request,
    token,
    'email.send',
    { to: 'a11y@a11y.example', subject: 'a11y', text: 'a11y' },
    key,
  );
  const event = await (await page.request.get(`/api/v1/events/${eventId}`)).json();
  deliveryId = (event as { deliveries: { id: number }[] }).deliveries[0]?.id ?? 0;
  await context.close();
});

for (const scheme of ['light', 'dark'] as const) {
  for (const template of CONSOLE_PAGES) {
    test(`${template} in the ${scheme} theme: no serious or critical axe violation`, async ({ page }) => {
      test.setTimeout(120_000);
      await page.emulateMedia({ colorScheme: scheme });
      const path = template
        .replace(':event', String(eventId))
        .replace(':delivery', String(deliveryId))
        .replace(':key', key);
      await openPage(page, path);
      const result = await new AxeBuilder({ page })
        .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
        .analyze();
      const found = result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map(
          (v) =>
            `${v.id} (${v.impact}): ${v.nodes
              .slice(0, 3)
              .map((n) => n.target.join(' '))
              .join(' | ')}`,
        );
      expect(found).toEqual([]);
    });
  }

  test(`signed-out pages in the ${scheme} theme: no serious or critical axe violation`, async ({
    browser,
    baseURL,
  }) => {
    const context = await browser.newContext({ baseURL, colorScheme: scheme });
    const page = await context.newPage();
    const found: string[] = [];
    for (const path of ['/sign-in', '/setup?token=nothing']) {
      await page.goto(path);
      await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
      const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
      for (const v of result.violations)
        if (v.impact === 'serious' || v.impact === 'critical')
          found.push(`${path} ${v.id}: ${v.nodes[0]?.target}`);
    }
    expect(found).toEqual([]);
    await context.close();
  });
}
