import { randomUUID } from 'node:crypto';
import type { ErrorCode, IssueDetail } from '../errors';
import { HeraldError } from '../errors';
import { createLogger } from '../log';

/**
 * The one place that turns failures into HTTP answers. Clients always get
 * `{ error: { code, message, details? } }` with a stable code; internals go to the log under an
 * id that the answer repeats, never to the client.
 */
export type HttpErrorCode =
  | ErrorCode
  | 'malformed_json'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  /** A dependency (the database) did not answer; the request may be retried (503). */
  | 'unavailable'
  | 'internal_error';

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: HttpErrorCode,
    message: string,
    readonly details?: IssueDetail[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

const statusOf: Record<ErrorCode, number> = {
  unknown_channel: 422,
  invalid_payload: 422,
  invalid_request: 422,
  not_found: 404,
  conflict: 409,
  unauthorized: 401,
  forbidden: 403,
  // Read load (lib/db/reads.ts): the database is fine, the request may be retried later.
  read_timeout: 503,
  too_many_reads: 429,
};

export interface ErrorBody {
  error: { code: HttpErrorCode; message: string; details?: IssueDetail[]; id?: string };
}

export function errorJson(
  status: number,
  code: HttpErrorCode,
  message: string,
  details?: IssueDetail[],
  headers?: Record<string, string>,
): Response {
  const body: ErrorBody = { error: { code, message, ...(details?.length ? { details } : {}) } };
  return Response.json(body, { status, headers: { 'Cache-Control': 'no-store', ...headers } });
}

/** A PostgreSQL error's SQLSTATE, looking through wrappers (Drizzle puts the driver's error in `cause`). */
function sqlState(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function isClientAbort(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  return (
    error.name === 'AbortError' ||
    code === 'ECONNRESET' ||
    (error.message === 'aborted' && code === undefined)
  );
}

let log: ReturnType<typeof createLogger> | undefined;

export function toErrorResponse(error: unknown): Response {
  if (error instanceof HttpError)
    return errorJson(error.status, error.code, error.message, error.details, error.headers);
  if (error instanceof HeraldError) {
    const retryAfter = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    return errorJson(
      statusOf[error.code],
      error.code,
      error.message,
      error.details,
      typeof retryAfter === 'number' ? { 'Retry-After': String(retryAfter) } : undefined,
    );
  }
  // Input validation should catch bad data first; if some still reaches PostgreSQL, a data
  // exception (class 22: bad encoding, out-of-range value) or a constraint (class 23) is the
  // client's input, not our failure, and the statement wrote nothing.
  const state = sqlState(error);
  if (state?.startsWith('22'))
    return errorJson(422, 'invalid_request', 'the database refused a value in the request');
  if (state === '23505') return errorJson(409, 'conflict', 'conflicts with an existing record');
  if (state?.startsWith('23')) return errorJson(422, 'invalid_request', 'the request breaks a data rule');
  // The client hung up while we read its body: nobody is left to answer, and it is not our fault.
  if (isClientAbort(error)) return errorJson(400, 'invalid_request', 'the request was aborted by the client');
  const id = randomUUID();
  log ??= createLogger('api');
  log.error({ errorId: id, err: error }, 'unhandled error in an API route');
  const body: ErrorBody = { error: { code: 'internal_error', message: `internal error (id ${id})`, id } };
  return Response.json(body, { status: 500, headers: { 'Cache-Control': 'no-store' } });
}
