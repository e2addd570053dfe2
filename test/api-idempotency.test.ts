import { afterAll, beforeAll, expect, it } from 'vitest';
import * as batchRoute from '../app/api/v1/events/batch/route';
import * as eventsRoute from '../app/api/v1/events/route';
import { call, makeKey, setupApiDatabase } from './api-helpers';
import type { TestDatabase } from './helpers/db';

let t: TestDatabase;
let key: string;

beforeAll(async () => {
  t = await setupApiDatabase();
  key = await makeKey(t, 'racer', ['publish']);
});
afterAll(() => t?.drop());

it('20 concurrent identical requests publish one event; one 201, the rest 200 with its id', async () => {
  const body = { channel: 'sms', payload: { to: '+14155550100', msg: 'once' }, idempotencyKey: 'race-1' };
  const answers = await Promise.all(
    Array.from({ length: 20 }, () => call(eventsRoute.POST, '/api/v1/events', { token: key, body })),
  );
  const statuses = answers.map((a) => a.status).sort();
  expect(statuses.filter((s) => s === 201)).toHaveLength(1);
  expect(statuses.filter((s) => s === 200)).toHaveLength(19);
  expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
  const rows = await t.query(`SELECT id FROM herald.events WHERE idempotency_key = 'race-1'`);
  expect(rows).toHaveLength(1);
  const deliveries = await t.query(`SELECT 1 FROM herald.deliveries WHERE event_id = $1`, [
    answers[0]!.body.id,
  ]);
  expect(deliveries).toHaveLength(1);
});

it('concurrent batches sharing idempotency keys publish each key once', async () => {
  const events = Array.from({ length: 50 }, (_, i) => ({
    channel: 'sms',
    payload: { to: '+14155550100', msg: `b${i}` },
    idempotencyKey: `batch-${i}`,
  }));
  const answers = await Promise.all(
    Array.from({ length: 10 }, () =>
      call(batchRoute.POST, '/api/v1/events/batch', { token: key, body: { events } }),
    ),
  );
  expect(answers.every((a) => a.status === 200 || a.status === 201)).toBe(true);
  const [row] = await t.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM herald.events WHERE idempotency_key LIKE 'batch-%'`,
  );
  expect(row?.n).toBe(50);
  const ids = answers.map((a) => a.body.events.map((e: { id: number }) => e.id).join(','));
  expect(new Set(ids).size).toBe(1);
});
