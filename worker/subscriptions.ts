import type { Subscription } from '../lib/subscriptions/define';

/**
 * The subscribers this installation runs. Each is declared with `subscribe()` from
 * lib/subscriptions and synced to the database when a worker starts.
 */
export const subscriptions: Subscription[] = [];
