import { config } from '../lib/config';
import { emailSubscriptions } from '../lib/email/subscriptions';
import type { Subscription } from '../lib/subscriptions/define';

/**
 * The subscribers this installation runs. Each is declared with `subscribe()` from
 * lib/subscriptions and synced to the database when a worker starts.
 *
 * Email goes through Postmark when POSTMARK_SERVER_TOKEN is set, else to the local sandbox
 * (lib/sandbox) at POSTMARK_API_URL or http://127.0.0.1:HERALD_SANDBOX_PORT.
 */
export const subscriptions: Subscription[] = [
  ...emailSubscriptions({
    concurrency: config().HERALD_EMAIL_CONCURRENCY,
    ratePerSecond: config().HERALD_EMAIL_RATE_PER_SECOND,
  }),
];
