/**
 * Errors that cross Herald's boundaries carry a stable code (for API clients and tests) and
 * optional details; the HTTP layer maps them to status codes in one place.
 */
export type ErrorCode =
  | 'unknown_channel'
  | 'invalid_payload'
  | 'invalid_request'
  | 'not_found'
  | 'conflict'
  | 'unauthorized'
  | 'forbidden'
  /** A read ran past HERALD_READ_STATEMENT_TIMEOUT_MS, or found no free read connection in time (503). */
  | 'read_timeout'
  /** This user or key already has HERALD_READ_CONCURRENCY expensive reads in flight (429). */
  | 'too_many_reads';

export interface IssueDetail {
  path: string;
  message: string;
  index?: number;
}

export class HeraldError extends Error {
  override name = 'HeraldError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: IssueDetail[],
  ) {
    super(message);
  }
}
