import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { request, setupAuthDatabase, userWithSession } from './auth-helpers';
import type { TestDatabase } from './helpers/db';

vi.mock('next/headers', () => ({
  headers: async () => new Headers(),
  cookies: async () => ({ get: () => undefined, getAll: () => [], has: () => false }),
}));

/**
 * Issue 5's roles on the single-delivery actions, enforced by the API itself: support replays
 * and retries only with a reason; discarding a delivery is for operators.
 */
let t: TestDatabase;
let support: string;
let operator: string;
let replay: (r: Request, c: { params: Promise<{ id: string }> }) => Promise<Response>;
let discard: (r: Request, c: { params: Promise<{ id: string }> }) => Promise<Response>;

async function deadDelivery(): Promise<number> {
  await t.query(
    `INSERT INTO herald.subscriptions (name, channel_pattern) VALUES ('perm', 'sms') ON CONFLICT DO NOTHING`,
  );
  const [e] = await t.query<{ id: number }>(
    `SELECT herald.publish('sms', '{"to": "+14155550100", "msg": "hi"}') AS id`,
  );
  const [d] = await t.query<{ id: number }>(
    `UPDATE herald.deliveries SET state = 'dead', finished_at = now() WHERE event_id = $1 RETURNING id`,
    [e!.id],
  );
  return d!.id;
}

const call = (route: typeof replay, id: number, cookie: string, body?: unknown) =>
  route(request(`/api/v1/deliveries/${id}/x`, { method: 'POST', body, headers: { cookie } }), {
    params: Promise.resolve({ id: String(id) }),
  });

beforeAll(async () => {
  t = await setupAuthDatabase();
  support = await userWithSession(t, 'support');
  operator = await userWithSession(t, 'operator');
  ({ POST: replay } = await import('../app/api/v1/deliveries/[id]/replay/route'));
  ({ POST: discard } = await import('../app/api/v1/deliveries/[id]/discard/route'));
});
afterAll(() => t?.drop());

describe('single-delivery actions by role', () => {
  it('refuses a support replay without a reason, and records the reason when given', async () => {
    const id = await deadDelivery();
    const refused = await call(replay, id, support, {});
    expect(refused.status).toBe(422);
    expect((await refused.json()).error.details[0].path).toBe('reason');
    const ok = await call(replay, id, support, { reason: 'customer called, provider is back' });
    expect(ok.status).toBe(200);
    const [audit] = await t.query(
      `SELECT actor, reason FROM herald.audit_log WHERE action = 'delivery.replay'`,
    );
    expect(audit).toEqual({ actor: 'user:support@example.com', reason: 'customer called, provider is back' });
  });

  it('lets operators discard, not support', async () => {
    const id = await deadDelivery();
    expect((await call(discard, id, support, { reason: 'duplicate' })).status).toBe(403);
    expect((await call(discard, id, operator)).status).toBe(200);
  });
});
