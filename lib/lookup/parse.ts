/**
 * What a support agent typed, read as every kind of identifier it could be: `order:1042` is a
 * business key, `1042` may be an event id, an order id or the key `order:1042`, an address is a
 * customer email (matched case-insensitively). One query string, several candidate matches.
 */
export interface LookupQuery {
  raw: string;
  eventId: number | null;
  email: string | null;
  /** Exact business keys to try. */
  keys: string[];
  /** Values of the payload's `orderId`. */
  orderIds: string[];
  /** An idempotency key the publisher used (duplicates resolve to the first event). */
  idempotencyKey: string | null;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAX = 500;

export function parseLookup(input: string): LookupQuery | null {
  const raw = input.trim().slice(0, MAX);
  if (!raw) return null;
  const unhashed = raw.replace(/^#/, '');
  const eventId = /^\d{1,15}$/.test(unhashed) ? Number(unhashed) : null;
  if (EMAIL.test(raw)) {
    const email = raw.toLowerCase();
    return { raw, eventId: null, email, keys: unique([raw, email]), orderIds: [], idempotencyKey: null };
  }
  const keys = [raw];
  const orderIds = [raw];
  // `order:1042` → also the payload's orderId `1042`; `1042` → also the key `order:1042`.
  const prefixed = /^order:(.+)$/i.exec(raw);
  if (prefixed?.[1]) orderIds.push(prefixed[1]);
  else keys.push(`order:${raw}`);
  return { raw, eventId, email: null, keys: unique(keys), orderIds: unique(orderIds), idempotencyKey: raw };
}

const unique = (values: string[]) => [...new Set(values)];
