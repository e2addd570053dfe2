import type { CircuitPolicy, RetryPolicy, Subscription } from '../subscriptions/define';
import { subscribe } from '../subscriptions/index';
import { emailSettings } from './config';
import { renderOrderConfirmation } from './order-confirmation';
import { createPostmarkSender, type EmailSender } from './postmark';

export interface EmailSubscriptionOptions {
  /** Defaults to the configured sender (Postmark with a token, else the local sandbox), made on first use. */
  sender?: EmailSender;
  retry?: RetryPolicy;
  timeoutMs?: number;
  /** Handlers at once per worker process. Default 10 (the worker passes HERALD_EMAIL_CONCURRENCY). */
  concurrency?: number;
  /** Emails per second across all workers (HERALD_EMAIL_RATE_PER_SECOND); unset: no limit. */
  ratePerSecond?: number;
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
  return {
    send(email, signal) {
      sender ??= createPostmarkSender(emailSettings());
      return sender.send(email, signal);
    },
  };
}

/**
 * `order-confirmation-email` (order.approved → a rendered confirmation) and `email`
 * (email.send → that message). Both return Postmark's { messageId, submittedAt, to }, which the
 * worker keeps on the attempt; webhooks find the attempt by that messageId.
 */
export function emailSubscriptions(options: EmailSubscriptionOptions = {}): Subscription[] {
  const sender = options.sender ?? lazyConfiguredSender();
  const common = {
    retry: options.retry,
    timeoutMs: options.timeoutMs ?? 30_000,
    concurrency: options.concurrency ?? 10,
    ratePerSecond: options.ratePerSecond,
    circuit: options.circuit,
  };
  return [
    subscribe({
      name: 'order-confirmation-email',
      channel: 'order.approved',
      ...common,
      handler: async (order, ctx) => {
        const email = renderOrderConfirmation(order);
        return sender.send(
          { ...email, metadata: { ...email.metadata, heraldDeliveryId: String(ctx.deliveryId) } },
          ctx.signal,
        );
      },
    }),
    subscribe({
      name: 'email',
      channel: 'email.send',
      ...common,
      handler: async (message, ctx) =>
        sender.send(
          {
            to: message.to,
            subject: message.subject,
            textBody: message.text,
            htmlBody: message.html,
            tag: message.tag,
            metadata: { heraldDeliveryId: String(ctx.deliveryId) },
          },
          ctx.signal,
        ),
    }),
  ];
}
