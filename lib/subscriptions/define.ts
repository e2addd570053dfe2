import type { z } from 'zod';
import type { ChannelSchemas } from '../channels/registry';
import { CONCURRENCY_MAX, CONCURRENCY_RANGE, isConcurrency } from './limits';

/**
 * The retry policy of a subscription. Delays grow as base · 2^(attempt−1), capped at max,
 * each with ±25 % jitter. With the defaults (base 10 s, max 1 h, 20 attempts) a failing
 * delivery is retried about 10 s, 20 s, 40 s, 80 s, 2 min 40 s, 5 min 20 s, 10 min 40 s,
 * 21 min and 43 min after each failure, then hourly: the 10th attempt comes about 1 h 25 min
 * after the first, and the last (20th) about 11 h 25 min after it — long enough to ride out a
 * provider's maintenance window of several hours before anything reaches the dead-letter queue.
 */
export interface RetryPolicy {
  /** Attempts before the delivery is dead (a replay grants the same number again). Default 20. */
  maxAttempts?: number;
  /** Delay after the first failure, in ms. Default 10,000. */
  baseDelayMs?: number;
  /** Longest delay between attempts, in ms. Default 3,600,000 (1 h). */
  maxDelayMs?: number;
}

export const defaultRetryPolicy: Required<RetryPolicy> = {
  maxAttempts: 20,
  baseDelayMs: 10_000,
  maxDelayMs: 3_600_000,
};

/**
 * The provider circuit breaker (issue #21): when the provider answers "unavailable"
 * (ProviderUnavailableError: maintenance, 5xx, 429, timeouts) `failures` times in a row within
 * `windowMs`, the circuit opens: the subscription's deliveries are held without spending
 * attempts, and one probe goes out after `probeMs`, then after twice that, … up to `probeMaxMs`.
 * The first success releases the held deliveries at `releasePerSecond` (all worker processes
 * together). The state is shared in the database (herald.circuits). Unset fields take the
 * worker's defaults (HERALD_CIRCUIT_* in lib/config.ts), else `defaultCircuitPolicy`.
 */
export interface CircuitPolicy {
  /** Off: provider-unavailable failures are retried like any other. Default on. */
  enabled?: boolean;
  /** Provider-unavailable failures in a row that open the circuit. Default 5. */
  failures?: number;
  /** …counted within this many ms of the first. Default 30,000. */
  windowMs?: number;
  /** First wait before a probe, in ms; each later wait doubles. Default 5,000. */
  probeMs?: number;
  /** Longest wait between probes, in ms. Default 120,000 (2 min). */
  probeMaxMs?: number;
  /** Held deliveries released per second after the provider is back. Default 20. */
  releasePerSecond?: number;
}

export const defaultCircuitPolicy: Required<CircuitPolicy> = {
  enabled: true,
  failures: 5,
  windowMs: 30_000,
  probeMs: 5_000,
  probeMaxMs: 120_000,
  releasePerSecond: 20,
};

/** The policy a subscription runs with: its own fields over the worker's defaults over the built-in ones. */
export function circuitPolicyOf(sub: Subscription, defaults: CircuitPolicy = {}): Required<CircuitPolicy> {
  const policy = { ...defaultCircuitPolicy, ...definedOnly(defaults), ...definedOnly(sub.circuit ?? {}) };
  if (
    !(policy.failures >= 1) ||
    !(policy.windowMs > 0) ||
    !(policy.probeMs > 0) ||
    !(policy.probeMaxMs >= policy.probeMs) ||
    !(policy.releasePerSecond > 0)
  )
    throw new Error(`invalid circuit policy for "${sub.name}"`);
  return policy;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export interface HandlerContext {
  deliveryId: number;
  eventId: number;
  subscription: string;
  channel: string;
  key: string | null;
  /** 1 for the first try. */
  attempt: number;
  /** True when a person asked for this attempt (replay, retry now). */
  manual: boolean;
  publishedAt: Date;
  /**
   * Aborted when the handler times out or the worker loses the lease: another worker took it, or
   * the lease ran out while the database was unreachable and no heartbeat could renew it.
   */
  signal: AbortSignal;
}

/** What a handler returns (e.g. `{ messageId }` from a provider) is kept on the attempt. */
export type HandlerResult = unknown;

/** One delivery of a batch, as a batch handler receives it. */
export interface BatchItem<P> {
  payload: P;
  /** Its own context: its own attempt number, and a signal aborted when its lease is lost. */
  context: HandlerContext;
}

/**
 * What a batch handler says about one delivery, in the order it received them: `{ result }`
 * (kept on the attempt, as a handler's return value) or `{ error }` (classified as if a handler
 * had thrown it: PermanentError dead at once, ProviderUnavailableError counted by the circuit
 * breaker, anything else retried on the backoff).
 */
export type BatchOutcome = { result: HandlerResult } | { error: unknown };

/**
 * A batch handler: called with up to `size` claimed deliveries at once (one request to a
 * provider's batch API for all of them). Each delivery keeps its own lease, fencing, attempt and
 * outcome; a handler that throws fails every delivery in the call (each retried, each counted).
 * The subscription's `timeoutMs` applies to the whole call, `concurrency` counts deliveries (so
 * concurrency / size calls run at once), and a partial batch waits up to `lingerMs` for more.
 */
export interface BatchOptions<P> {
  /** Most deliveries per call, 1…10,000. */
  size: number;
  /** How long a partial batch waits to fill before it goes anyway, in ms. Default 10. */
  lingerMs?: number;
  /**
   * Returns exactly one outcome per item, in order; a missing one fails its delivery. `signal`
   * aborts when the call times out, or once every item's lease is lost (each item's own
   * `context.signal` aborts as soon as its lease is).
   */
  handler: (items: BatchItem<P>[], signal: AbortSignal) => Promise<BatchOutcome[]>;
}

export const DEFAULT_BATCH_LINGER_MS = 10;
/** A batch subscription's default concurrency is this many full batches (at most CONCURRENCY_MAX). */
export const DEFAULT_BATCHES_AT_ONCE = 4;

interface CommonOptions {
  /** Unique name, e.g. `order-confirmation-email`. */
  name: string;
  retry?: RetryPolicy;
  /** A handler running longer fails with a timeout (and is retried). Default 30 s. */
  timeoutMs?: number;
  /**
   * Deliveries of this subscription running at once in one worker process, an integer from 1 to
   * CONCURRENCY_MAX (10,000, lib/subscriptions/limits.ts). Default 10; with a batch handler, four
   * full batches (4 × `batch.size`), at most CONCURRENCY_MAX.
   */
  concurrency?: number;
  /**
   * Sends per second across all worker processes together (e.g. the provider's limit); unset: no
   * limit. Enforced by the database at claim time (sql/functions/send_pacing.sql). Operators may
   * change it and the concurrency without a deploy (`herald subscription set`, the console).
   */
  ratePerSecond?: number;
  /** Lease per claim; heartbeats renew it while the handler runs. Default HERALD_LEASE_MS (30 s). */
  leaseMs?: number;
  /** The provider circuit breaker; `false` turns it off. Default on, see CircuitPolicy. */
  circuit?: CircuitPolicy | false;
}

/** A subscription declares a handler, a batch handler, or both (the worker then uses the batch one). */
export interface ChannelSubscription<T extends ChannelSchemas, C extends keyof T & string>
  extends CommonOptions {
  channel: C;
  handler?: (payload: z.output<T[C]>, context: HandlerContext) => Promise<HandlerResult>;
  batch?: BatchOptions<z.output<T[C]>>;
}

/** A subscription to every channel matching a pattern (`order.*`, `*`); payloads are untyped. */
export interface PatternSubscription extends CommonOptions {
  pattern: string;
  handler?: (payload: unknown, context: HandlerContext) => Promise<HandlerResult>;
  batch?: BatchOptions<unknown>;
}

export interface Subscription {
  name: string;
  channelPattern: string;
  retry: Required<RetryPolicy>;
  timeoutMs: number;
  concurrency: number;
  ratePerSecond?: number;
  leaseMs?: number;
  /** As declared; unset fields are filled in when the subscription is synced (circuitPolicyOf). */
  circuit?: CircuitPolicy;
  handler: (payload: unknown, context: HandlerContext) => Promise<HandlerResult>;
  /** Set when the subscription has a batch handler: the worker runs its deliveries in batches. */
  batch?: Required<BatchOptions<unknown>>;
}

const namePattern = /^[a-z0-9][a-z0-9._-]{0,99}$/;
const patternPattern = /^[a-z0-9*][a-z0-9._*-]{0,199}$/;

/**
 * Returns a `subscribe` function typed by a channel registry:
 * `subscribe({ name: 'welcome', channel: 'user.created', handler: async (p) => … })`.
 */
export function subscriptionsFor<T extends ChannelSchemas>(_channels: T) {
  function subscribe<C extends keyof T & string>(options: ChannelSubscription<T, C>): Subscription;
  function subscribe(options: PatternSubscription): Subscription;
  function subscribe(options: ChannelSubscription<T, keyof T & string> | PatternSubscription): Subscription {
    const channelPattern = 'channel' in options ? options.channel : options.pattern;
    if (!namePattern.test(options.name)) throw new Error(`invalid subscription name "${options.name}"`);
    if (!patternPattern.test(channelPattern)) throw new Error(`invalid channel pattern "${channelPattern}"`);
    const retry = { ...defaultRetryPolicy, ...options.retry };
    // The bound an operator's override and HERALD_EMAIL_CONCURRENCY have too. The table's CHECK
    // bounds only the override (the declared column need only be positive), so a larger number
    // was synced as it stood, one an operator could not set back, and one past 2^31 − 1 failed
    // the worker's start with PostgreSQL's 'value "…" is out of range for type integer'.
    if (options.concurrency !== undefined && !isConcurrency(options.concurrency))
      throw new Error(`invalid concurrency for "${options.name}": ${CONCURRENCY_RANGE}`);
    if (options.ratePerSecond !== undefined && !(options.ratePerSecond > 0))
      throw new Error(`invalid rate for "${options.name}"`);
    if (retry.maxAttempts < 1 || retry.baseDelayMs <= 0 || retry.maxDelayMs < retry.baseDelayMs)
      throw new Error(`invalid retry policy for "${options.name}"`);
    const batch = batchOptionsOf(options.name, options.batch as BatchOptions<unknown> | undefined);
    const handler = (options.handler as Subscription['handler'] | undefined) ?? (batch && oneAtATime(batch));
    if (!handler) throw new Error(`subscription "${options.name}" needs a handler or a batch handler`);
    return {
      name: options.name,
      channelPattern,
      retry,
      timeoutMs: options.timeoutMs ?? 30_000,
      concurrency:
        options.concurrency ?? (batch ? Math.min(batch.size * DEFAULT_BATCHES_AT_ONCE, CONCURRENCY_MAX) : 10),
      ratePerSecond: options.ratePerSecond,
      leaseMs: options.leaseMs,
      circuit: options.circuit === false ? { enabled: false } : options.circuit,
      handler,
      batch,
    };
  }
  return subscribe;
}

function batchOptionsOf(
  name: string,
  batch: BatchOptions<unknown> | undefined,
): Required<BatchOptions<unknown>> | undefined {
  if (!batch) return undefined;
  const lingerMs = batch.lingerMs ?? DEFAULT_BATCH_LINGER_MS;
  if (!Number.isInteger(batch.size) || batch.size < 1 || batch.size > 10_000)
    throw new Error(`invalid batch size for "${name}": a whole number from 1 to 10,000`);
  if (!(lingerMs >= 0 && lingerMs <= 60_000))
    throw new Error(`invalid batch linger for "${name}": 0 to 60,000 ms`);
  if (typeof batch.handler !== 'function') throw new Error(`the batch of "${name}" needs a handler`);
  return { size: batch.size, lingerMs, handler: batch.handler };
}

/** A batch-only subscription run one delivery at a time (e.g. by a consumer without batching). */
function oneAtATime(batch: Required<BatchOptions<unknown>>): Subscription['handler'] {
  return async (payload, context) => {
    const [outcome] = await batch.handler([{ payload, context }], context.signal);
    if (outcome === undefined) throw new Error('the batch handler returned no outcome');
    if ('error' in outcome) throw outcome.error;
    return outcome.result;
  };
}
