import { createHash, timingSafeEqual } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '../db/client';
import type { EmailRecordType } from '../db/schema';
import type { WebhookCredentials } from './config';

/**
 * Postmark's webhooks (https://postmarkapp.com/developer/webhooks/webhooks-overview), checked by
 * RecordType. Loose objects: Postmark adds fields over time and we keep the whole payload.
 */
// JavaScript accepts extended years (+204678-…) that PostgreSQL cannot store: keep to years
// 1–9999, so a hostile timestamp is a 4xx here rather than an error at the insert.
const timestamp = z
  .string()
  .max(64)
  .refine((s) => {
    const ms = Date.parse(s);
    if (Number.isNaN(ms)) return false;
    const year = new Date(ms).getUTCFullYear();
    return year >= 1 && year <= 9999;
  }, 'an ISO 8601 date and time between the years 1 and 9999');
const common = {
  MessageID: z.string().min(1).max(200),
  MessageStream: z.string().max(200).optional(),
  Tag: z.string().max(1000).nullish(),
  Metadata: z.record(z.string(), z.unknown()).nullish(),
};
const recipient = z.string().min(3).max(320);

export const postmarkWebhook = z.discriminatedUnion('RecordType', [
  z.looseObject({
    RecordType: z.literal('Delivery'),
    ...common,
    Recipient: recipient,
    DeliveredAt: timestamp,
  }),
  z.looseObject({
    RecordType: z.literal('Bounce'),
    ...common,
    Email: recipient,
    BouncedAt: timestamp,
    Type: z.string().min(1),
  }),
  z.looseObject({
    RecordType: z.literal('SpamComplaint'),
    ...common,
    Email: recipient,
    BouncedAt: timestamp,
  }),
  z.looseObject({ RecordType: z.literal('Open'), ...common, Recipient: recipient, ReceivedAt: timestamp }),
  z.looseObject({ RecordType: z.literal('Click'), ...common, Recipient: recipient, ReceivedAt: timestamp }),
  z.looseObject({
    RecordType: z.literal('SubscriptionChange'),
    ...common,
    Recipient: recipient,
    ChangedAt: timestamp,
    SuppressSending: z.boolean(),
  }),
]);
export type PostmarkWebhook = z.infer<typeof postmarkWebhook>;

/** Who the record is about and when it happened, whatever its type calls those fields. */
function essentials(w: PostmarkWebhook): { recipient: string; occurredAt: string } {
  switch (w.RecordType) {
    case 'Delivery':
      return { recipient: w.Recipient, occurredAt: w.DeliveredAt };
    case 'Bounce':
    case 'SpamComplaint':
      return { recipient: w.Email, occurredAt: w.BouncedAt };
    case 'Open':
    case 'Click':
      return { recipient: w.Recipient, occurredAt: w.ReceivedAt };
    case 'SubscriptionChange':
      return { recipient: w.Recipient, occurredAt: w.ChangedAt };
  }
}

/**
 * Checks an Authorization header against the configured credentials. Both sides are hashed
 * first so that the constant-time comparison does not leak their lengths either.
 */
export function checkBasicAuth(header: string | null, expected: WebhookCredentials | undefined): boolean {
  if (!expected || !header?.startsWith('Basic ')) return false;
  const given = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(`${expected.user}:${expected.password}`));
}

/** Postmark re-posts a record it is unsure we got: the same content gives the same key. */
export function dedupeKey(payload: unknown): string {
  return createHash('sha256').update(canonicalJson(payload)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export interface StoredWebhook {
  id: number | null;
  recordType: EmailRecordType;
  /** False when the same record was stored before. */
  stored: boolean;
  /** The attempt that sent the email, when we know it (null: kept aside, linked later). */
  attemptId: number | null;
}

/**
 * Stores one record, linked by MessageID to the attempt that sent it (attempts.result->>'messageId',
 * indexed), under an advisory lock on the message id: unknown message ids are stored unlinked (a trigger links them when the
 * attempt is recorded later), a repeated record is skipped by its dedupe key.
 */
export async function storePostmarkWebhook(db: Executor, webhook: PostmarkWebhook): Promise<StoredWebhook> {
  const { recipient, occurredAt } = essentials(webhook);
  const result = await db.transaction(async (tx) => {
    // Pairs with herald.link_email_events_to (sql/functions/link_email_events_to.sql), which complete_many and the
    // attempt log's trigger call: whichever of the webhook and the attempt commits second sees
    // the first, so no record stays unlinked by a race.
    await tx.execute(sql`SELECT pg_advisory_xact_lock(1212436548, hashtext(${webhook.MessageID}))`);
    return tx.execute<{ id: number; attempt_id: number | null }>(sql`
      INSERT INTO herald.email_events
        (record_type, message_id, recipient, occurred_at, attempt_id, delivery_id, dedupe_key, payload)
      SELECT ${webhook.RecordType}, ${webhook.MessageID}, ${recipient}, ${new Date(occurredAt).toISOString()}::timestamptz,
             a.id, a.delivery_id, ${dedupeKey(webhook)}, ${JSON.stringify(webhook)}::jsonb
      FROM (SELECT 1) AS one
      LEFT JOIN LATERAL (
        -- Materialised: the attempts with this message id first, by their indexes. Asked for
        -- the highest id directly, the planner may walk the attempt log's primary key backwards
        -- looking for it (measured: every failure read, 38 ms at 45,000).
        WITH sent AS MATERIALIZED (
          SELECT id, delivery_id FROM herald.attempts WHERE result->>'messageId' = ${webhook.MessageID}
        )
        SELECT id, delivery_id FROM sent ORDER BY id DESC LIMIT 1
      ) a ON true
      ON CONFLICT (dedupe_key) DO NOTHING
      RETURNING id, attempt_id`);
  });
  const row = result.rows[0];
  return {
    id: row?.id ?? null,
    recordType: webhook.RecordType,
    stored: row !== undefined,
    attemptId: row?.attempt_id ?? null,
  };
}
