import type { Failure, Success } from './queries';

/**
 * Whether PostgreSQL refused a batch for what it holds (a data exception, a constraint, a
 * program limit: SQLSTATE classes 22, 23 and 54) rather than for a connection or the server's
 * state. Sending the same batch again cannot succeed.
 */
export function refusedForContent(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23|54)[0-9A-Z]{3}$/.test(code);
}

export interface SplitRecording<T, R> {
  /** Writes a batch; resolves with what the database recorded. */
  write(batch: T[]): Promise<R>;
  empty(): R;
  merge(into: R, more: R): R;
  /** The item without what the database refused (its result, its error text). */
  degrade(item: T, refusal: Error): T;
  /** Even the degraded item was refused: it stays unrecorded, and its lease will expire. */
  dropped(item: T, refusal: unknown): void;
}

/**
 * Records outcomes in one statement. When the database refuses the batch for its content, one
 * outcome in it is to blame: retried as it is, the batch would fail forever and hold up every
 * outcome behind it. It is split in halves until the refused outcome is alone, and that one is
 * recorded once more degraded. Any other error is thrown, for the caller to retry the batch.
 */
export async function recordSplitting<T, R>(items: T[], how: SplitRecording<T, R>): Promise<R> {
  if (items.length === 0) return how.empty();
  try {
    return await how.write(items);
  } catch (error) {
    if (!refusedForContent(error)) throw error;
    if (items.length > 1) {
      const middle = items.length >> 1;
      const first = await recordSplitting(items.slice(0, middle), how);
      return how.merge(first, await recordSplitting(items.slice(middle), how));
    }
    const item = items[0]!;
    try {
      return await how.write([how.degrade(item, error as Error)]);
    } catch (again) {
      if (!refusedForContent(again)) throw again;
      how.dropped(item, again);
      return how.empty();
    }
  }
}

export function degradeSuccess(success: Success, refusal: Error): Success {
  return {
    ...success,
    result: { unstorable: `the database refused the handler's result: ${refusal.message}` },
  };
}

export function degradeFailure(failure: Failure, refusal: Error): Failure {
  return {
    ...failure,
    failure: {
      ...failure.failure,
      error: `the handler's error could not be stored: ${refusal.message}`,
      stack: null,
      code: null,
      retryAfterMs: null,
      result: null,
    },
  };
}
