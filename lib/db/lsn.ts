/**
 * PostgreSQL WAL positions (`pg_lsn`, written `16/B374D848`): how far the primary has written and
 * a standby has replayed. A reader that has seen data up to position P sees no step back on a
 * standby that has replayed P or more; that comparison is all the read routing needs.
 */
export type Lsn = bigint;

const LSN_TEXT = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** Parses `X/Y`; null for anything else (a cookie or header is caller input). */
export function parseLsn(text: string | null | undefined): Lsn | null {
  if (!text) return null;
  const m = LSN_TEXT.exec(text.trim());
  if (!m) return null;
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

export function formatLsn(lsn: Lsn): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

export function maxLsn(...values: (Lsn | null | undefined)[]): Lsn | null {
  let best: Lsn | null = null;
  for (const v of values) if (v !== null && v !== undefined && (best === null || v > best)) best = v;
  return best;
}

/**
 * The cookie (and header, for API clients) that carries the newest position a browser has
 * seen: set from every read answer and after every write, so the next read goes to a replica
 * only once that replica has replayed at least this far. Not secret, not httpOnly: a WAL
 * position tells nothing about the data, and a forged one only sends that caller's reads to the
 * primary.
 */
export const READ_AFTER_COOKIE = 'herald_read_after';
export const READ_AFTER_HEADER = 'x-herald-read-after';
/** Response header naming where a read was served: `replica` or `primary`. */
export const READ_SOURCE_HEADER = 'x-herald-read-source';

/** The position a request says it has seen: the later of its header and its cookie. */
export function readAfterOf(request: Request): Lsn | null {
  const cookie = request.headers
    .get('cookie')
    ?.split(';')
    .map((c) => c.trim())
    .find((c) => c.startsWith(`${READ_AFTER_COOKIE}=`))
    ?.slice(READ_AFTER_COOKIE.length + 1);
  return maxLsn(parseLsn(request.headers.get(READ_AFTER_HEADER)), parseLsn(safeDecode(cookie)));
}

function safeDecode(text: string | undefined): string | null {
  if (!text) return null;
  try {
    return decodeURIComponent(text);
  } catch {
    return null; // a malformed cookie counts as none
  }
}

/** A Set-Cookie value remembering `lsn` for the whole console (a day is far longer than any lag). */
export function readAfterCookie(lsn: Lsn): string {
  return `${READ_AFTER_COOKIE}=${encodeURIComponent(formatLsn(lsn))}; Path=/; Max-Age=86400; SameSite=Lax`;
}
