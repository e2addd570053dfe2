import { HeraldError } from '../errors';

/**
 * Keyset pagination cursors: opaque to clients (base64url of a small JSON) so the ordering can
 * change later without breaking them. A page is `id < cursor.id ORDER BY id DESC`: stable while
 * rows are inserted, and as cheap on page 1,000 as on page 1 (no OFFSET).
 */
export function encodeCursor(id: number): string {
  return Buffer.from(JSON.stringify({ v: 1, id })).toString('base64url');
}

export function decodeCursor(cursor: string): number {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (value && typeof value === 'object' && 'v' in value && 'id' in value && value.v === 1) {
      const id = value.id;
      if (typeof id === 'number' && Number.isSafeInteger(id) && id > 0) return id;
    }
  } catch {
    // Falls through to the error below: any garbage is the same bad cursor to the client.
  }
  throw new HeraldError('invalid_request', 'invalid cursor', [
    { path: 'cursor', message: 'not a cursor from this API' },
  ]);
}

/** Rows fetched as `limit + 1`: the extra one only tells whether a next page exists. */
export function pageOf<T extends { id: number }>(
  rows: T[],
  limit: number,
): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const more = rows.length > limit;
  return { items, nextCursor: more && items.length > 0 ? encodeCursor(items[items.length - 1]!.id) : null };
}
