import { sql } from 'drizzle-orm';
import type { z } from 'zod';
import { channels as appChannels } from './channels';
import { type ChannelSchemas, formatPath, validatePayload } from './channels/registry';
import type { Executor } from './db/client';
import { runNamed } from './db/named-statement';
import { HeraldError, type IssueDetail } from './errors';

export interface PublishOptions {
  /** Business key for lookup, e.g. `order:1042` or a customer's email. */
  key?: string;
  /** Unique per channel: a repeat returns the first event and publishes nothing. */
  idempotencyKey?: string;
  /** Deliver no earlier than this time. */
  runAt?: Date;
  /** Deliver no earlier than this many milliseconds from now (ignored when runAt is given). */
  delayMs?: number;
  /** Who published: `api:<key name>`, `sql`, a service name. */
  source?: string;
}

export interface PublishedEvent {
  id: number;
  channel: string;
  key: string | null;
  /** True when the idempotency key had been used: `id` is the first event's. */
  duplicate: boolean;
  /** The event's deliveries, when asked for (`withDeliveries`, single events only). */
  deliveries?: { id: number; subscription: string; state: string }[];
}

export interface PublishManyOptions {
  /** For a single event: also return its deliveries and its (first event's) key, in the same round trip. */
  withDeliveries?: boolean;
  /**
   * For a single event: publish only if this API key is still active, checked in the same
   * statement (herald.publish_one_as_key); otherwise nothing is written and the publish fails
   * with `unauthorized`. The event's source is the key. The HTTP API's hot path.
   */
  asApiKey?: { id: number; secretHash: string };
}

export interface PublishItem<T extends ChannelSchemas, C extends keyof T & string = keyof T & string> {
  channel: C;
  payload: z.input<T[C]>;
  options?: PublishOptions;
}

const MAX_KEY_LENGTH = 500;

function checkOptions(options: PublishOptions, index: number | undefined, problems: IssueDetail[]) {
  const bad = (path: string, message: string) => problems.push({ path, message, index });
  for (const field of ['key', 'idempotencyKey', 'source'] as const) {
    const value = options[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_KEY_LENGTH)
      bad(field, `must be a string of 1 to ${MAX_KEY_LENGTH} characters`);
    else if (value.includes('\u0000')) bad(field, 'contains \\u0000');
  }
  if (
    options.runAt !== undefined &&
    (!(options.runAt instanceof Date) || Number.isNaN(options.runAt.getTime()))
  )
    bad('runAt', 'must be a valid date');
  if (options.delayMs !== undefined && !(Number.isFinite(options.delayMs) && options.delayMs >= 0))
    bad('delayMs', 'must be a non-negative number');
}

type OneRow = {
  key_valid?: boolean;
  id: number;
  inserted: boolean;
  key: string | null;
  deliveries: PublishedEvent['deliveries'] | null;
};

type Row = {
  ord: number;
  id: number | null;
  inserted: boolean;
};

/**
 * Builds `publish` and `publishMany` for a channel registry. Both write inside the caller's
 * transaction: the event and its deliveries commit or roll back with the caller's own writes.
 */
export function createPublisher<T extends ChannelSchemas>(channels: T) {
  async function publishMany(
    tx: Executor,
    items: readonly PublishItem<T>[],
    manyOptions: PublishManyOptions = {},
  ): Promise<PublishedEvent[]> {
    if (items.length === 0) return [];
    const problems: IssueDetail[] = [];
    const rows = items.map((item, index) => {
      const options = item.options ?? {};
      try {
        const payload = validatePayload(channels, item.channel, item.payload);
        checkOptions(options, items.length > 1 ? index : undefined, problems);
        const runAt = options.runAt ?? (options.delayMs ? new Date(Date.now() + options.delayMs) : undefined);
        return {
          channel: item.channel,
          payload,
          key: options.key ?? null,
          idempotencyKey: options.idempotencyKey ?? null,
          runAt: runAt?.toISOString() ?? null,
          source: options.source ?? null,
        };
      } catch (error) {
        if (!(error instanceof HeraldError)) throw error;
        for (const d of error.details ?? [{ path: formatPath([]), message: error.message }])
          problems.push({ ...d, index: items.length > 1 ? index : undefined });
        return null;
      }
    });
    if (problems.length > 0) {
      const unknown = problems.some((p) => p.path === 'channel');
      throw new HeraldError(
        unknown && items.length === 1 ? 'unknown_channel' : 'invalid_payload',
        items.length === 1
          ? `cannot publish to "${items[0]?.channel}": ${problems[0]?.message}`
          : 'some events are invalid; nothing was published',
        problems,
      );
    }

    if (rows.length === 1) {
      // The common case, through a plan-cached function (see herald.publish_one).
      const r = rows[0]!;
      const payload = JSON.stringify(r.payload);
      const withDeliveries = manyOptions.withDeliveries === true;
      const asKey = manyOptions.asApiKey;
      const row = (
        asKey
          ? await runNamed<OneRow>(
              tx,
              'herald_publish_one_as_key',
              `SELECT key_valid, id, inserted, key, deliveries
               FROM herald.publish_one_as_key($1, $2, $3, $4::jsonb, $5, $6, $7::timestamptz, $8)`,
              [
                asKey.id,
                asKey.secretHash,
                r.channel,
                payload,
                r.key,
                r.idempotencyKey,
                r.runAt,
                withDeliveries,
              ],
            )
          : await runNamed<OneRow>(
              tx,
              'herald_publish_one',
              `SELECT id, inserted, key, deliveries
               FROM herald.publish_one($1, $2::jsonb, $3, $4, $5::timestamptz, $6, $7)`,
              [r.channel, payload, r.key, r.idempotencyKey, r.runAt, r.source, withDeliveries],
            )
      )[0]!;
      if (row.key_valid === false)
        throw new HeraldError('unauthorized', 'this API key has been revoked; nothing was published');
      const event: PublishedEvent = {
        id: row.id,
        channel: r.channel,
        key: row.key,
        duplicate: !row.inserted,
      };
      if (row.deliveries) event.deliveries = row.deliveries;
      return [event];
    }

    // One statement for the whole batch. Ids are drawn from the sequence up front so each
    // input row can be matched to its event; ON CONFLICT skips repeated idempotency keys. Only
    // when some event has one: ON CONFLICT makes every row a speculative insertion (a lock and
    // a second WAL record per row) even when no row can conflict.
    const onConflict = rows.some((r) => r!.idempotencyKey !== null)
      ? sql`ON CONFLICT (channel, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING`
      : sql``;
    const result = await tx.execute<Row>(sql`
      WITH input AS MATERIALIZED (
        SELECT a.ord::int AS ord, nextval('herald.events_id_seq') AS id,
               a.item->>'channel' AS channel, a.item->'payload' AS payload, a.item->>'key' AS key,
               a.item->>'idempotencyKey' AS idempotency_key, (a.item->>'runAt')::timestamptz AS run_at,
               a.item->>'source' AS source
        FROM jsonb_array_elements(${JSON.stringify(rows)}::jsonb) WITH ORDINALITY AS a(item, ord)
      ),
      inserted AS (
        INSERT INTO herald.events (id, channel, payload, key, idempotency_key, run_at, source)
        OVERRIDING SYSTEM VALUE
        SELECT id, channel, payload, key, idempotency_key, run_at, source FROM input ORDER BY ord
        ${onConflict}
        RETURNING id
      )
      SELECT input.ord, input.id, inserted.id IS NOT NULL AS inserted
      FROM input LEFT JOIN inserted ON inserted.id = input.id
      ORDER BY input.ord`);

    const published = result.rows.map((r, i): PublishedEvent => {
      const row = rows[i]!;
      return { id: r.id ?? 0, channel: row.channel, key: row.key, duplicate: !r.inserted };
    });
    // Repeats of an idempotency key (earlier, concurrently, or within this batch) resolve to the
    // first event; a fresh statement sees rows this one's snapshot could not.
    const repeats = published.flatMap((p, i) => (p.duplicate ? [i] : []));
    if (repeats.length > 0) {
      const found = await tx.execute<{ channel: string; idempotency_key: string; id: number }>(sql`
        SELECT e.channel, e.idempotency_key, e.id FROM herald.events e
        JOIN jsonb_to_recordset(${JSON.stringify(repeats.map((i) => ({ channel: rows[i]!.channel, idempotency_key: rows[i]!.idempotencyKey })))}::jsonb)
          AS k(channel text, idempotency_key text)
          ON e.channel = k.channel AND e.idempotency_key = k.idempotency_key`);
      const byKey = new Map(found.rows.map((f) => [`${f.channel}\u0000${f.idempotency_key}`, f.id]));
      for (const i of repeats) {
        const row = rows[i]!;
        published[i]!.id = byKey.get(`${row.channel}\u0000${row.idempotencyKey}`) ?? 0;
      }
    }
    return published;
  }

  async function publish<C extends keyof T & string>(
    tx: Executor,
    channel: C,
    payload: z.input<T[C]>,
    options?: PublishOptions,
  ): Promise<PublishedEvent> {
    const [event] = await publishMany(tx, [{ channel, payload, options } as PublishItem<T>]);
    return event!;
  }

  return { publish, publishMany };
}

/** Publishers for this installation's channels (`lib/channels`). */
export const { publish, publishMany } = createPublisher(appChannels);
