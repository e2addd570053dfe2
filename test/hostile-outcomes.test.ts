import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher } from '../lib/publish';
import { subscriptionsFor } from '../lib/subscriptions/define';
import { PermanentError, RetryableError } from '../lib/subscriptions/errors';
import type { Worker } from '../worker/worker';
import { testChannels } from './fixtures/channels';
import { createTestDatabase, type TestDatabase, waitFor } from './helpers/db';
import { inProcessWorker } from './helpers/in-process-worker';

/**
 * What a handler returns or throws comes from a provider or a partner, and may hold what
 * PostgreSQL refuses to store: the NUL character (in text and in jsonb) and lone UTF-16
 * surrogates (in jsonb); and a Retry-After must fit a bigint. Such an outcome must be recorded like any other, and must not hold
 * up the outcomes recorded in the same batch.
 */
const subscribe = subscriptionsFor(testChannels);
const { publishMany } = createPublisher(testChannels);

const hostile = subscribe({
  name: 'hostile',
  channel: 'test.event',
  retry: { maxAttempts: 1 },
  handler: async (payload) => {
    switch (payload.n) {
      case 1:
        return {
          messageId: 'm\u0000id',
          note: 'lone \ud800 surrogate',
          'key\u0000': 1,
          path: 'C:\\u0000dir',
        };
      case 2:
        throw new Error('provider said: bad\u0000byte');
      case 3:
        throw new PermanentError('refused\u0000', { code: 'x\u0000y', result: { raw: '\u0000\udfff' } });
      case 4:
        throw new RetryableError('retry after NaN', { retryAfterMs: Number.NaN });
      case 5:
        throw new RetryableError('retry after Infinity', { retryAfterMs: Number.POSITIVE_INFINITY });
      default:
        return { messageId: `ok-${payload.n}` };
    }
  },
});

let t: TestDatabase;
let worker: Worker;
beforeAll(async () => {
  t = await createTestDatabase();
  worker = inProcessWorker(t, [hostile]);
  await worker.start();
});
afterAll(async () => {
  await worker?.stop();
  await t?.drop();
});

interface Row {
  n: number;
  state: string;
  outcome: string;
  error: string | null;
  error_code: string | null;
  result: unknown;
}

describe('outcomes PostgreSQL cannot store as they are', () => {
  it('are recorded with U+FFFD in place of NUL and lone surrogates, and the rest of the batch with them', async () => {
    await publishMany(
      t.db,
      [1, 2, 3, 4, 5, 6, 7].map((n) => ({ channel: 'test.event' as const, payload: { n } })),
    );
    const rows = await waitFor('every delivery to settle', async () => {
      const found = await t.query<Row>(
        `SELECT (e.payload->>'n')::int AS n, d.state, a.outcome, a.error, a.error_code, a.result
         FROM herald.deliveries d JOIN herald.events e ON e.id = d.event_id
         JOIN herald.attempts a ON a.delivery_id = d.id
         ORDER BY n`,
      );
      return found.length === 7 && found.every((r) => r.state !== 'running' && r.state !== 'pending')
        ? found
        : undefined;
    });
    expect(rows.map((r) => [r.n, r.state])).toEqual([
      [1, 'succeeded'],
      [2, 'dead'],
      [3, 'dead'],
      [4, 'dead'],
      [5, 'dead'],
      [6, 'succeeded'],
      [7, 'succeeded'],
    ]);
    expect(rows[0]!.result).toEqual({
      messageId: 'm\ufffdid',
      note: 'lone \ufffd surrogate',
      'key\ufffd': 1,
      // A backslash followed by "u0000" is text, not a NUL: it stays as it was.
      path: 'C:\\u0000dir',
    });
    expect(rows[1]!.error).toBe('provider said: bad\ufffdbyte');
    expect(rows[2]).toMatchObject({
      error: 'refused\ufffd',
      error_code: 'x\ufffdy',
      result: { raw: '\ufffd\ufffd' },
    });
    expect(rows[3]!.error).toBe('retry after NaN');
    expect(rows[4]!.error).toBe('retry after Infinity');
    expect(rows[5]!.result).toEqual({ messageId: 'ok-6' });
  });
});
