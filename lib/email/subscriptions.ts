import type { Payload } from '../channels';
import type {
  BatchItem,
  BatchOutcome,
  CircuitPolicy,
  RetryPolicy,
  Subscription,
} from '../subscriptions/define';
import { subscribe } from '../subscriptions/index';
import { emailSettings } from './config';
import { renderOrderConfirmation } from './order-confirmation';
import { createPostmarkSender, type EmailSender, type OutgoingEmail, POSTMARK_BATCH_LIMIT } from './postmark';

export interface EmailSubscriptionOptions {
  /** Defaults to the configured sender (Postmark with a token, else the local sandbox), made on first use. */
  sender?: EmailSender;
  retry?: RetryPolicy;
  timeoutMs?: number;
  /**
   * Emails being sent at once per worker process (HERALD_EMAIL_CONCURRENCY). Default 10 one by one;
   * batched, 4 batches' worth.
   */
  concurrency?: number;
  /** Emails per second across all workers (HERALD_EMAIL_RATE_PER_SECOND); unset: no limit. */
  ratePerSecond?: number;
  /**
   * Send through Postmark's batch API (POST /email/batch): up to `size` emails per request
   * (at most 500), a partial batch waiting up to `lingerMs` (default 10) for more. Each email keeps
   * its own attempt and outcome. Default on with 500 when the sender can batch; `false`: one
   * request per email.
   */
  batch?: { size?: number; lingerMs?: number } | false;
  /**
   * The provider circuit breaker: Postmark's maintenance (ErrorCode 100), 5xx, 429 and timeouts
   * open it (lib/email/errors.ts). Unset fields take the worker's defaults (5 failures in a row
   * within 30 s; probes after 5 s doubling to 2 min; 20 emails/s released after), which suit
   * Postmark: an outage of any length ends with no dead letters, and the held email goes out
   * within about 2 min + held/20 s of Postmark's return. `false` turns it off.
   */
  circuit?: CircuitPolicy | false;
}

/** The configured sender, created lazily so that importing the subscriptions never reads the environment. */
function lazyConfiguredSender(): EmailSender {
  let sender: EmailSender | undefined;
  const configured = () => {
    sender ??= createPostmarkSender(emailSettings());
    return sender;
  };
  return {
    send: (email, signal) => configured().send(email, signal),
    sendBatch: (emails, signal) => configured().sendBatch!(emails, signal),
  };
}

/**
 * The batch handler for a subscription whose payloads render to emails: one Postmark request for
 * all of them, each answer becoming its delivery's outcome (its MessageID kept for webhooks as a
 * single send's is). A request that failed as a whole throws, failing (and retrying) every one.
 *
 * Idempotency is as for single sends: an email is sent again only if its delivery runs again,
 * and a delivery whose batch request timed out or failed is retried (Postmark may or may not have
 * accepted it). While the worker holds the lease no one else runs it; it can be sent twice only
 * when its lease ran out (a worker frozen or cut off for longer than the lease) and another worker
 * sent it too, the same window a single send has.
 */
function batchSending<P>(
  sendBatch: NonNullable<EmailSender['sendBatch']>,
  render: (payload: P, deliveryId: number) => OutgoingEmail,
) {
  return async (items: BatchItem<P>[], signal: AbortSignal): Promise<BatchOutcome[]> => {
    const answers = await sendBatch(
      items.map((item) => render(item.payload, item.context.deliveryId)),
      signal,
    );
    return answers.map((answer) => (answer instanceof Error ? { error: answer } : { result: answer }));
  };
}

/**
 * `order-confirmation-email` (order.approved → a rendered confirmation) and `email`
 * (email.send → that message). Both return Postmark's { messageId, submittedAt, to }, which the
 * worker keeps on the attempt; webhooks find the attempt by that messageId.
 */
export function emailSubscriptions(options: EmailSubscriptionOptions = {}): Subscription[] {
  const sender = options.sender ?? lazyConfiguredSender();
  const sendBatch = options.batch === false ? undefined : sender.sendBatch?.bind(sender);
  const size = Math.min(POSTMARK_BATCH_LIMIT, options.batch ? (options.batch.size ?? 500) : 500);
  const lingerMs = options.batch ? options.batch.lingerMs : undefined;
  const common = {
    retry: options.retry,
    timeoutMs: options.timeoutMs ?? 30_000,
    // Batched, the default is subscribe()'s: four full batches in flight.
    concurrency: options.concurrency ?? (sendBatch ? undefined : 10),
    ratePerSecond: options.ratePerSecond,
    circuit: options.circuit,
  };
  const order = (payload: Payload<'order.approved'>, deliveryId: number): OutgoingEmail => {
    const email = renderOrderConfirmation(payload);
    return { ...email, metadata: { ...email.metadata, heraldDeliveryId: String(deliveryId) } };
  };
  const message = (payload: Payload<'email.send'>, deliveryId: number): OutgoingEmail => ({
    to: payload.to,
    subject: payload.subject,
    textBody: payload.text,
    htmlBody: payload.html,
    tag: payload.tag,
    metadata: { heraldDeliveryId: String(deliveryId) },
  });
  return [
    subscribe({
      name: 'order-confirmation-email',
      channel: 'order.approved',
      ...common,
      handler: async (payload, ctx) => sender.send(order(payload, ctx.deliveryId), ctx.signal),
      batch: sendBatch && { size, lingerMs, handler: batchSending(sendBatch, order) },
    }),
    subscribe({
      name: 'email',
      channel: 'email.send',
      ...common,
      handler: async (payload, ctx) => sender.send(message(payload, ctx.deliveryId), ctx.signal),
      batch: sendBatch && { size, lingerMs, handler: batchSending(sendBatch, message) },
    }),
  ];
}
