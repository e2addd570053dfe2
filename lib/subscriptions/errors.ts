/**
 * What a handler throws decides what happens next. Any other error is retried on the
 * subscription's backoff schedule.
 */

/** The failure will not go away by retrying (an invalid recipient): the delivery is dead at once. */
export class PermanentError extends Error {
  override name = 'PermanentError';
  readonly code?: string;
  readonly result?: unknown;
  constructor(message: string, options: { code?: string; result?: unknown; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.code = options.code;
    this.result = options.result;
  }
}

/** A transient failure with a known wait, e.g. a provider's Retry-After. */
export class RetryableError extends Error {
  override name = 'RetryableError';
  readonly code?: string;
  readonly retryAfterMs?: number;
  readonly result?: unknown;
  constructor(
    message: string,
    options: { code?: string; retryAfterMs?: number; result?: unknown; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = options.code;
    this.retryAfterMs = options.retryAfterMs;
    this.result = options.result;
  }
}

/**
 * The provider is down, not the message wrong: maintenance, a 5xx, a 429, no answer in time.
 * Retried like any RetryableError, and counted by the subscription's circuit breaker: a run of
 * them opens the circuit, and while it is open the subscription's deliveries are held without
 * spending attempts (sql/functions/circuit_failures.sql). Throw it only for failures that say
 * nothing about this delivery: an ordinary error (a bug) or a PermanentError never trips it.
 */
export class ProviderUnavailableError extends RetryableError {
  override name = 'ProviderUnavailableError';
  readonly providerUnavailable = true;
}

export class HandlerTimeoutError extends Error {
  override name = 'HandlerTimeoutError';
  readonly code = 'timeout';
  constructor(ms: number) {
    super(`handler did not finish within ${ms} ms`);
  }
}

export interface ClassifiedFailure {
  error: string;
  stack: string | null;
  code: string | null;
  retryAfterMs: number | null;
  permanent: boolean;
  /** A provider-side transient failure (ProviderUnavailableError): the circuit breaker counts it. */
  unavailable: boolean;
  result: unknown;
}

/**
 * A handler's requested delay as a whole number of milliseconds that PostgreSQL's bigint takes:
 * NaN asks for nothing (the backoff applies), Infinity for as long as allowed (the database caps
 * a delay at a day). Anything else would fail the batch that records it, on every retry.
 */
function retryAfterOf(error: Error): number | null {
  if (!(error instanceof RetryableError) || error.retryAfterMs === undefined) return null;
  const ms = Number(error.retryAfterMs);
  if (Number.isNaN(ms)) return null;
  return Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, Math.round(ms)));
}

/** Normalises anything a handler may throw (including non-Error values) once. */
export function classifyFailure(thrown: unknown): ClassifiedFailure {
  const error =
    thrown instanceof Error
      ? thrown
      : new Error(typeof thrown === 'string' ? thrown : JSON.stringify(thrown));
  const withCode = error as { code?: unknown };
  return {
    error: error.message || error.name,
    stack: error.stack ?? null,
    code: typeof withCode.code === 'string' ? withCode.code : null,
    retryAfterMs: retryAfterOf(error),
    permanent: error instanceof PermanentError,
    unavailable: error instanceof ProviderUnavailableError,
    result:
      error instanceof PermanentError || error instanceof RetryableError ? (error.result ?? null) : null,
  };
}
