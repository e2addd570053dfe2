import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  booleansLiteral,
  claim,
  completeMany,
  numbersLiteral,
  publishedAtOf,
  textsLiteral,
} from '../worker/queries';
import { createTestDatabase, type TestDatabase } from './helpers/db';

/**
 * The worker writes completion batches as array literals itself (worker/queries.ts). Whatever a
 * handler returns must arrive unchanged: quotes, backslashes, braces, commas, the word NULL,
 * empty strings and JSON.
 */
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

describe('array literals of completion batches', () => {
  it('round-trip every awkward string, and NULL, unchanged', async () => {
    const values = [
      'plain',
      '',
      'NULL',
      'null',
      ' spaced ',
      'a,b',
      '{braces}',
      'quote " inside',
      'back\\slash',
      '\\"both\\"',
      'tab\tnew\nline',
      'ünïcødé ✉',
      JSON.stringify({ messageId: 'a"b\\c', nested: { list: [1, '2', null] } }),
      null,
      '2026-11-29T02:28:00.123Z',
    ];
    const [row] = await t.query<{ v: (string | null)[] }>('SELECT $1::text[] AS v', [textsLiteral(values)]);
    expect(row!.v).toEqual(values);
  });

  it('carry JSON results as jsonb, numbers and booleans as themselves', async () => {
    const results = [JSON.stringify({ messageId: 'x"y' }), null, JSON.stringify('a\\b')];
    const [row] = await t.query<{ r: unknown[]; n: number[]; b: boolean[] }>(
      'SELECT $1::jsonb[] AS r, $2::bigint[] AS n, $3::boolean[] AS b',
      [textsLiteral(results), numbersLiteral([1, 9007199254740991, 0]), booleansLiteral([true, false])],
    );
    expect(row!.r).toEqual([{ messageId: 'x"y' }, null, 'a\\b']);
    expect(row!.n.map(Number)).toEqual([1, 9007199254740991, 0]);
    expect(row!.b).toEqual([true, false]);
  });

  it('empty batches are empty arrays', async () => {
    const [row] = await t.query<{ n: number }>('SELECT cardinality($1::bigint[]) AS n', [numbersLiteral([])]);
    expect(Number(row!.n)).toBe(0);
  });

  it("a claimed row's publishedAt is the event's time, to the millisecond", async () => {
    const [row] = await t.query<{ text: string; ms: string }>(
      `SELECT ts::text AS text, floor(extract(epoch FROM ts) * 1000)::bigint::text AS ms
       FROM (VALUES (timestamptz '2026-11-29 02:28:00.123456+00')) v(ts)`,
    );
    const at = publishedAtOf({ publishedAtText: row!.text } as Parameters<typeof publishedAtOf>[0]);
    expect(at.getTime()).toBe(Number(row!.ms));
  });

  it('record each success with its own start time and result, in the order sent', async () => {
    await t.query(
      `INSERT INTO herald.subscriptions (name, channel_pattern) VALUES ('literals', 'literals.test')`,
    );
    await t.query(
      `SELECT herald.publish('literals.test', jsonb_build_object('n', i)) FROM generate_series(1, 5) i`,
    );
    await t.query(`SELECT herald.register_worker('w-literals', 'test', 1, ARRAY['literals'])`);
    const rows = await claim(t.pool, 'w-literals', ['literals'], [5], [null]);
    expect(rows).toHaveLength(5);
    const base = Date.UTC(2026, 10, 29, 2, 28, 0, 0);
    const done = rows.map((row, i) => ({
      row,
      startedAt: base + i * 1_001,
      result: { messageId: `m"${i}\\` },
    }));
    const completed = await completeMany(t.pool, 'w-literals', done);
    expect([...completed].sort()).toEqual(rows.map((r) => r.deliveryId).sort());
    const recorded = await t.query<{ delivery_id: number; ms: string; result: unknown }>(
      `SELECT delivery_id, (extract(epoch FROM started_at) * 1000)::bigint::text AS ms, result
       FROM herald.attempts WHERE delivery_id = ANY($1::bigint[])`,
      [rows.map((r) => r.deliveryId)],
    );
    const byDelivery = new Map(recorded.map((r) => [Number(r.delivery_id), r]));
    done.forEach((d) => {
      const r = byDelivery.get(d.row.deliveryId)!;
      expect(Number(r.ms)).toBe(d.startedAt);
      expect(r.result).toEqual(d.result);
    });
  });
});
