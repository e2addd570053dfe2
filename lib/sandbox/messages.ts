import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { Executor } from '../db/client';
import { type SandboxMessageRow, sandboxMessages } from '../db/schema';
import type { Endpoint, HandledMessage } from './postmark-api';

/** Stores what the sandbox received and how it answered, in one INSERT per request. */
export async function recordMessages(
  db: Executor,
  endpoint: Endpoint,
  handled: readonly HandledMessage[],
  override?: { httpStatus: number; errorCode: number; message: string },
) {
  if (handled.length === 0) return;
  await db.insert(sandboxMessages).values(
    handled.map((h) => {
      const accepted = !override && h.answer.ErrorCode === 0;
      return {
        messageId: accepted ? (h.answer.MessageID ?? null) : null,
        endpoint,
        status: accepted ? ('accepted' as const) : ('rejected' as const),
        httpStatus: override?.httpStatus ?? h.httpStatus,
        errorCode: override?.errorCode ?? h.answer.ErrorCode,
        errorMessage: accepted ? null : (override?.message ?? h.answer.Message),
        fromAddress: h.fields.from,
        toAddress: h.fields.to,
        subject: h.fields.subject,
        textBody: h.fields.textBody,
        htmlBody: h.fields.htmlBody,
        tag: h.fields.tag,
        messageStream: h.fields.messageStream,
        request: h.request,
      };
    }),
  );
}

/** The outbox, newest first, by keyset (pass the last id seen as `beforeId` for the next page). */
export async function listSandboxMessages(
  db: Executor,
  options: { limit?: number; beforeId?: number; status?: 'accepted' | 'rejected' } = {},
): Promise<SandboxMessageRow[]> {
  const limit = Math.min(Math.max(options.limit ?? 50, 1), 500);
  return db
    .select()
    .from(sandboxMessages)
    .where(
      and(
        options.beforeId === undefined ? undefined : lt(sandboxMessages.id, options.beforeId),
        options.status === undefined ? undefined : eq(sandboxMessages.status, options.status),
      ),
    )
    .orderBy(desc(sandboxMessages.id))
    .limit(limit);
}

export async function recordWebhookOutcome(
  db: Executor,
  messageId: string,
  webhookType: 'Delivery' | 'Bounce',
  error: string | null,
) {
  await db
    .update(sandboxMessages)
    .set({ webhookType, webhookPostedAt: error === null ? sql`now()` : null, webhookError: error })
    .where(eq(sandboxMessages.messageId, messageId));
}
