import { randomUUID } from 'node:crypto';
import { type APIRequestContext, expect, type Page, request } from '@playwright/test';
import type pg from 'pg';
import { createApiKey } from '../../lib/auth/api-keys';
import { createUser } from '../../lib/auth/users';
import { createDb, createPool } from '../../lib/db/client';
import { HeraldProcess, taggedProcesses } from './herald-process';
import { databaseUrlOf, isolate } from './isolated';

/**
 * A Herald of its own (own database, own port, the built-in Postmark sandbox) holding the same
 * data on every run, for pictures: the visual checks (e2e/visual.spec.ts) and the README
 * screenshots (e2e/readme-screenshots.spec.ts). Ids, keys, payloads, states and counts are
 * fixed; times are not (the events are published now), so pictures mask <time> elements.
 */
export const SEEDED_ADMIN = { email: 'ops@acme.example', password: 'seeded admin password 1' };

export interface SeededHerald {
  base: string;
  pool: pg.Pool;
  api: APIRequestContext;
  signIn(page: Page): Promise<void>;
  /** Publishes `count` order emails, one in `rejectEvery` to an inactive address (they die). */
  publishOrders(count: number, opts?: { from?: number; rejectEvery?: number }): Promise<void>;
  /** Waits until nothing is pending or running: every delivery has its final state. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

const CUSTOMERS = ['ann', 'bob', 'chen', 'dara', 'emil', 'fay', 'gus', 'hana', 'ivo', 'jo'];
const INACTIVE = (n: number) => `bounced-${n}@customer.example`;

export async function startSeededHerald(name: string, port: number): Promise<SeededHerald> {
  const base = `http://127.0.0.1:${port}`;
  const isolated = await isolate(name);
  const tag = randomUUID();
  const herald = new HeraldProcess({
    ...isolated.env,
    PORT: String(port),
    HERALD_TEST_TAG: tag,
    HERALD_PUBLIC_URL: base,
  });
  await herald.waitForOutput(new RegExp(`Herald is running at http://localhost:${port}`));
  const pool = createPool(await databaseUrlOf(herald, isolated), {
    max: 2,
    applicationName: 'herald-e2e-seed',
  });
  const db = createDb(pool);
  await createUser(db, { ...SEEDED_ADMIN, role: 'admin' }, 'seed');
  const { token } = await createApiKey(db, {
    name: 'checkout-service',
    scopes: ['publish', 'read'],
    publishChannels: ['*'],
    rateLimitPerMinute: 100_000,
    createdBy: 'seed',
  });
  const api = await request.newContext({
    baseURL: base,
    extraHTTPHeaders: { authorization: `Bearer ${token}` },
  });
  const admin = await request.newContext({ baseURL: base, extraHTTPHeaders: { origin: base } });
  const signedIn = await admin.post('/api/auth/sign-in', { data: SEEDED_ADMIN });
  expect(signedIn.ok(), await signedIn.text()).toBe(true);
  const inactive = new Set<string>();

  const seeded: SeededHerald = {
    base,
    pool,
    api,
    async signIn(page) {
      const response = await page.request.post(`${base}/api/auth/sign-in`, {
        data: SEEDED_ADMIN,
        headers: { origin: base },
      });
      expect(response.ok(), await response.text()).toBe(true);
    },
    async publishOrders(count, { from = 1, rejectEvery = 0 } = {}) {
      const events = [];
      for (let n = from; n < from + count; n++) {
        const customer = CUSTOMERS[n % CUSTOMERS.length];
        const rejected = rejectEvery > 0 && n % rejectEvery === 0;
        const to = rejected ? INACTIVE(n) : `${customer}@customer.example`;
        if (rejected && !inactive.has(to)) {
          const r = await admin.patch('/api/v1/sandbox', { data: { markInactive: to } });
          expect(r.status(), await r.text()).toBe(200);
          inactive.add(to);
        }
        events.push({
          channel: 'order.approved',
          key: `order:${1000 + n}`,
          payload: {
            orderId: String(1000 + n),
            customer: { email: to, name: `${customer?.[0]?.toUpperCase()}${customer?.slice(1)} Example` },
            total: 20 + ((n * 7) % 90),
            currency: 'EUR',
            items: [{ name: 'Desk lamp', quantity: 1 + (n % 3), price: 20 }],
          },
        });
      }
      const response = await api.post('/api/v1/events/batch', { data: { events } });
      expect(response.status(), await response.text()).toBe(201);
    },
    async settled() {
      await expect
        .poll(
          async () =>
            Number(
              (
                await pool.query<{ n: string }>(
                  "SELECT count(*) AS n FROM herald.deliveries WHERE state IN ('pending', 'running')",
                )
              ).rows[0]?.n,
            ),
          { timeout: 60_000, message: 'every delivery reaches its final state' },
        )
        .toBe(0);
    },
    async stop() {
      await api.dispose();
      await admin.dispose();
      await pool.end();
      await herald.stop('SIGINT');
      for (const { pid } of taggedProcesses(tag)) process.kill(pid, 'SIGKILL');
      await isolated.cleanup();
    },
  };
  return seeded;
}
