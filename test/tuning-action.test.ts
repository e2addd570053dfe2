import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { setupAuthDatabase } from './auth-helpers';
import type { TestDatabase } from './helpers/db';
import { sessionCookieFor } from './helpers/session';

/**
 * The Subscriptions page's Tune dialog (issue #21 item 4) calls setTuning, a server action over
 * the operation the CLI calls (lib/operations/tuning.ts): operators and admins only, blank fields
 * back to the declared values, refusals with the operation's code and field.
 */
const nav = vi.hoisted(() => ({ headers: new Headers() }));
vi.mock('next/headers', () => ({
  headers: async () => nav.headers,
  cookies: async () => ({ get: () => undefined, getAll: () => [], has: () => false }),
}));
vi.mock('next/cache', () => ({ revalidatePath: () => undefined }));

let t: TestDatabase;
let setTuning: typeof import('../app/subscriptions/tuning-actions').setTuning;
const cookies: Record<string, string> = {};

beforeAll(async () => {
  t = await setupAuthDatabase();
  await t.query(
    `INSERT INTO herald.subscriptions (name, channel_pattern, concurrency, rate_per_second) VALUES ('mail', 'sms', 10, 50)`,
  );
  for (const role of ['viewer', 'support', 'operator'] as const)
    cookies[role] = await sessionCookieFor(t, role, `${role}@example.com`);
  ({ setTuning } = await import('../app/subscriptions/tuning-actions'));
});
afterAll(() => t?.drop());

const as = (role: string) => {
  nav.headers = new Headers(role ? { cookie: cookies[role]! } : {});
};
const row = async () =>
  (
    await t.query(
      `SELECT concurrency_override, rate_override, tuned_by FROM herald.subscriptions WHERE name = 'mail'`,
    )
  )[0];

describe('the Tune dialog', () => {
  it('refuses people who may not operate, and signed-out requests', async () => {
    for (const role of ['viewer', 'support']) {
      as(role);
      expect(await setTuning('mail', '20', '', '')).toMatchObject({ ok: false, code: 'forbidden' });
    }
    as('');
    expect(await setTuning('mail', '20', '', '')).toMatchObject({ ok: false, code: 'unauthorized' });
    expect(await row()).toEqual({ concurrency_override: null, rate_override: null, tuned_by: null });
  });

  it('lets an operator set, lift and reset, with field-level refusals', async () => {
    as('operator');
    expect(await setTuning('mail', '20', '30', 'Postmark raised our limit')).toMatchObject({ ok: true });
    expect(await row()).toEqual({
      concurrency_override: 20,
      rate_override: 30,
      tuned_by: 'user:operator@example.com',
    });
    expect(await setTuning('mail', '', '0', '')).toMatchObject({
      ok: true,
      message: 'mail: concurrency 10, no rate limit; workers apply it within seconds',
    });
    expect(await setTuning('mail', 'many', '', '')).toMatchObject({
      ok: false,
      code: 'invalid_request',
      field: 'concurrency',
    });
    expect(await setTuning('mail', '', '-3', '')).toMatchObject({
      ok: false,
      code: 'invalid_request',
      field: 'ratePerSecond',
    });
    // Up to 10,000 (the batched email lane runs 2,000 by default); one more is refused with the bound.
    expect(await setTuning('mail', '2000', '', '')).toMatchObject({ ok: true });
    expect((await row())?.concurrency_override).toBe(2000);
    expect(await setTuning('mail', '10001', '', '')).toMatchObject({
      ok: false,
      code: 'invalid_request',
      field: 'concurrency',
      message: 'concurrency: an integer from 1 to 10000.',
    });
    expect(await setTuning('nope', '2', '', '')).toMatchObject({ ok: false, code: 'not_found' });
    expect(await setTuning('mail', '', '', '')).toMatchObject({ ok: true });
    expect(await row()).toMatchObject({ concurrency_override: null, rate_override: null });
  });
});
