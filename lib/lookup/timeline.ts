import type { AttemptOutcome, DeliveryState, EmailRecordType } from '../db/schema';

/**
 * The story of one event, as support staff read it: published → fanned out to subscriptions →
 * every attempt → the provider's message id → the provider's later events. Loaded by
 * lib/queries/lookup.ts, judged by ./verdict.ts (pure, so every case is unit-tested).
 */
export interface ProviderEvent {
  id: number;
  recordType: EmailRecordType;
  messageId: string;
  recipient: string | null;
  /** When it happened at the provider; null when the record did not say. */
  occurredAt: Date | null;
  receivedAt: Date;
  /** Bounce type or description in the provider's words (e.g. "HardBounce: mailbox unknown"). */
  detail: string | null;
}

export interface TimelineAttempt {
  id: number;
  attempt: number;
  worker: string | null;
  startedAt: Date;
  finishedAt: Date;
  durationMs: number;
  outcome: AttemptOutcome;
  errorCode: string | null;
  error: string | null;
  errorStack: string | null;
  /** A person asked for it (replay, retry now) rather than the retry schedule. */
  manual: boolean;
  nextRunAt: Date | null;
  /** The provider's evidence kept on the attempt (Postmark MessageID, recipient). */
  messageId: string | null;
  recipient: string | null;
}

export interface TimelineDelivery {
  id: number;
  subscription: string;
  state: DeliveryState;
  attempts: number;
  runAt: Date;
  lastError: string | null;
  createdAt: Date;
  finishedAt: Date | null;
  maxAttempts: number;
  subscriptionPaused: boolean;
  pausedReason: string | null;
  pausedAt: Date | null;
  /**
   * The subscription's provider circuit breaker when it is not closed (issue #21): the provider
   * is down (`open`) or just back and the held deliveries are being released (`half-open`).
   */
  circuit: DeliveryCircuit | null;
  /** Oldest first, as they happened. */
  attemptList: TimelineAttempt[];
  providerEvents: ProviderEvent[];
  /**
   * For a recipient the provider refused as inactive: the latest bounce or spam complaint we
   * know for that address, the reason it became inactive.
   */
  suppression: ProviderEvent | null;
}

export interface DeliveryCircuit {
  state: 'open' | 'half-open';
  /** When the provider went down (the circuit opened). */
  openedAt: Date;
  /** When it answered again (half-open), else null. */
  backAt: Date | null;
  nextProbeAt: Date | null;
  /** Deliveries of the subscription waiting to be sent, this one included (counted up to 100,000). */
  held: number;
  /** Released per second once the provider is back. */
  releasePerSecond: number;
}

export interface TimelineEvent {
  id: number;
  channel: string;
  key: string | null;
  idempotencyKey: string | null;
  source: string | null;
  createdAt: Date;
  payload: unknown;
  /** How the query found it: `key`, `email`, `order id`, `event id`, `idempotency key`. */
  matchedBy: string[];
  deliveries: TimelineDelivery[];
}

export interface LookupResult {
  query: string;
  events: TimelineEvent[];
  /** Finished history before this time has been pruned (maintenance_state.pruned_before). */
  prunedBefore: Date | null;
  /** More (older) events matched than this page holds. */
  more: boolean;
  /** The page starts below this event id (null: the newest page). */
  before: number | null;
  /** Where the next, older page starts: the oldest event id shown, when there is more. */
  olderThan: number | null;
}
