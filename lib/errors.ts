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
  | 'forbidden';

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
