/**
 * The CLI fails with one line a person can act on (`herald: <message>`), never a stack trace:
 * CliError carries that line; describeError turns anything else thrown into one.
 */
export class CliError extends Error {
  override name = 'CliError';
}

/** Connection strings in messages keep everything but the password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** One line out of any throwable, including Node's AggregateError (empty message, several causes). */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describeError(error.errors[0]);
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    const text = error.message || code || error.name;
    return text.split('\n')[0] ?? text;
  }
  return String(error);
}
