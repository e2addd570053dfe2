import { Errors } from 'postmark';
import { PermanentError, ProviderUnavailableError, RetryableError } from '../subscriptions/errors';
import { parseRetryAfter } from './retry-after';

/** Postmark's ErrorCodes we treat specially (https://postmarkapp.com/developer/api/overview#error-codes). */
export const POSTMARK_ERROR = {
  invalidToken: 10,
  maintenance: 100,
  invalidEmailRequest: 300,
  inactiveRecipient: 406,
} as const;

/** Kept on the failed attempt (attempts.result): Postmark's evidence, for support staff. */
export interface PostmarkFailure {
  errorCode: number | null;
  message: string;
  httpStatus: number | null;
  retryAfterMs?: number;
}

/** What the raw transport saw; the official client keeps neither headers nor the network cause. */
export interface TransportEvidence {
  response?: { status: number; headers: Headers };
  networkError?: unknown;
  /** The caller's signal (handler timeout or lost lease). */
  signal?: AbortSignal;
}

/**
 * Turns anything the Postmark client threw into the error that tells the worker what to do:
 * PermanentError (dead at once, reason in plain words), ProviderUnavailableError (Postmark is
 * down: maintenance, 5xx, 429, no answer, unreachable; counted by the circuit breaker, held
 * while it is open) or RetryableError (again later, after Retry-After when Postmark gave one).
 */
export function classifyPostmarkError(thrown: unknown, evidence: TransportEvidence = {}): Error {
  const status =
    evidence.response?.status ?? (thrown instanceof Errors.PostmarkError ? thrown.statusCode : 0);
  const errorCode = thrown instanceof Errors.PostmarkError && thrown.code !== 0 ? thrown.code : null;
  const postmarkMessage = thrown instanceof Error ? thrown.message : String(thrown);

  if (status === 0) return networkFailure(thrown, evidence);

  const retryAfterMs = parseRetryAfter(evidence.response?.headers.get('retry-after'));
  const result: PostmarkFailure = { errorCode, message: postmarkMessage, httpStatus: status };
  if (retryAfterMs !== undefined) result.retryAfterMs = retryAfterMs;
  const code = errorCode !== null ? `postmark_${errorCode}` : `http_${status}`;

  // A 422 is Postmark's answer about this message: the same as one message's answer in a batch.
  if (status === 422 || errorCode === POSTMARK_ERROR.maintenance) {
    return messageRefusal(errorCode, postmarkMessage, result, retryAfterMs);
  }
  if (status === 429) {
    return new ProviderUnavailableError(`Postmark is rate limiting us (HTTP 429); will retry`, {
      code,
      retryAfterMs,
      result,
    });
  }
  if (status >= 500) {
    return new ProviderUnavailableError(
      `Postmark had a server error (HTTP ${status}); will retry: ${postmarkMessage}`,
      {
        code,
        retryAfterMs,
        result,
      },
    );
  }
  // A refused token is a configuration mistake the operator fixes; dead-lettering every email
  // meanwhile would only force a bulk replay, so these retry on the normal backoff.
  if (status === 401 || errorCode === POSTMARK_ERROR.invalidToken) {
    return new RetryableError(
      `Postmark refused the server token (HTTP ${status}); check POSTMARK_SERVER_TOKEN: ${postmarkMessage}`,
      { code, retryAfterMs, result },
    );
  }
  return new PermanentError(`Postmark refused the request (HTTP ${status}): ${postmarkMessage}`, {
    code,
    result,
  });
}

/**
 * One message of a batch (POST /email/batch answers HTTP 200 with a result per message) that
 * Postmark did not accept: its ErrorCode decides, as the single-send endpoint's 422 would.
 */
export function classifyBatchMessage(errorCode: number, message: string): Error {
  return messageRefusal(errorCode, message, { errorCode, message, httpStatus: 200 }, undefined);
}

/**
 * Postmark's answer about one message. Maintenance comes as ErrorCode 100 (with 422 or 503):
 * always worth waiting for; anything else about the message itself (406 inactive recipient, 300
 * invalid request, …) will not change by retrying.
 */
function messageRefusal(
  errorCode: number | null,
  message: string,
  result: PostmarkFailure,
  retryAfterMs: number | undefined,
): Error {
  const code = errorCode !== null ? `postmark_${errorCode}` : `http_${result.httpStatus}`;
  if (errorCode === POSTMARK_ERROR.maintenance) {
    return new ProviderUnavailableError(`Postmark is down for maintenance; will retry (${message})`, {
      code,
      retryAfterMs,
      result,
    });
  }
  return new PermanentError(permanentReason(errorCode, message), { code, result });
}

function permanentReason(errorCode: number | null, message: string): string {
  switch (errorCode) {
    case POSTMARK_ERROR.inactiveRecipient:
      return `The recipient is inactive at Postmark (an earlier hard bounce, spam complaint or manual suppression), so Postmark will not send to them: ${message}`;
    case POSTMARK_ERROR.invalidEmailRequest:
      return `Postmark found the email invalid and refused it: ${message}`;
    default:
      return `Postmark refused the email (ErrorCode ${errorCode ?? 'none'}): ${message}`;
  }
}

function networkFailure(thrown: unknown, evidence: TransportEvidence): Error {
  const cause = rootCause(evidence.networkError ?? thrown);
  const errno = typeof cause.code === 'string' ? cause.code : undefined;
  const timedOut =
    evidence.signal?.aborted === true || cause.name === 'TimeoutError' || cause.name === 'AbortError';
  const message = timedOut
    ? 'Postmark did not answer in time; will retry'
    : `Could not reach Postmark (${errno ?? cause.message}); will retry`;
  return new ProviderUnavailableError(message, {
    code: timedOut ? 'timeout' : `network_${errno ?? 'error'}`,
    result: { errorCode: null, message: cause.message, httpStatus: null } satisfies PostmarkFailure,
    cause: evidence.networkError ?? thrown,
  });
}

/** fetch() wraps the socket error ("fetch failed" → cause ECONNREFUSED): dig out the useful one. */
function rootCause(error: unknown): { name: string; message: string; code?: unknown } {
  let current: unknown = error;
  for (let depth = 0; depth < 5; depth++) {
    const next = current instanceof Error ? current.cause : undefined;
    if (!(next instanceof Error)) break;
    current = next;
  }
  if (current instanceof Error) return current as Error & { code?: unknown };
  return { name: 'Error', message: String(current) };
}
