/** What the worker logs of an error: its message, not its stack. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
