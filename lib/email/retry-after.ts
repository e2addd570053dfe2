/** We honour a provider's Retry-After, but never wait longer than this on its word. */
export const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/**
 * Parses an HTTP Retry-After header (RFC 9110 §10.2.3): either delay-seconds ("120") or an
 * HTTP date ("Wed, 21 Oct 2026 07:28:00 GMT"). Returns milliseconds from `now`, clamped to
 * [0, 24 h]; undefined when absent or unreadable (the subscription's backoff applies then).
 */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value == null) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now), MAX_RETRY_AFTER_MS);
}
