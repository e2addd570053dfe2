import { HeraldError } from '../errors';
import type { LookupQuery } from '../lookup/parse';
import { maskKey } from '../queries/mask';
import { can, type Principal } from './principal';

/**
 * The one rule for filters on data that callers without `read:payloads` see masked (issue #18):
 * whatever is masked for someone is not filterable by them. A filter answers "is there a
 * match?", and that question asked one character at a time rebuilds the hidden value, whatever
 * the list then shows. Pages, route handlers and server actions all ask here.
 *
 * - error text (`last_error`, attempt errors): shown with addresses and phone numbers masked, so
 *   no substring search on it;
 * - payload values (`customer.email=…`, the lookup's order id and email): payloads are masked;
 * - the idempotency key: hidden (it is the publisher's, and often built from an address);
 * - the business key: shown as maskKey() shows it (`order:1042` as is, an address or phone number
 *   masked), so a key that maskKey() leaves alone stays filterable and one it would mask is not.
 */
export interface DataFilter {
  /** Exact business key(s). */
  key?: string | readonly string[];
  /** Case-insensitive substring of error text. */
  errorContains?: string;
  /** A value inside the payload (a `path=value` field, an order id, an email). */
  payload?: string;
  idempotencyKey?: string;
}

export type MaskedField = keyof DataFilter;

const words: Record<MaskedField, string> = {
  key: 'a business key holding an email address or phone number',
  errorContains: 'error text',
  payload: 'payload fields',
  idempotencyKey: 'idempotency key',
};

const given = (v: string | undefined | null): v is string => typeof v === 'string' && v.trim() !== '';

/** The filters of `f` that the caller may not use; empty when every one is allowed. */
export function maskedFiltersIn(showPayloads: boolean, f: DataFilter): MaskedField[] {
  if (showPayloads) return [];
  const keys = f.key === undefined ? [] : typeof f.key === 'string' ? [f.key] : f.key;
  const refused: MaskedField[] = [];
  if (keys.some((k) => given(k) && maskKey(k) !== k)) refused.push('key');
  if (given(f.errorContains)) refused.push('errorContains');
  if (given(f.payload)) refused.push('payload');
  if (given(f.idempotencyKey)) refused.push('idempotencyKey');
  return refused;
}

const showsPayloads = (who: Principal | boolean) =>
  typeof who === 'boolean' ? who : can(who, 'read:payloads');

/** The sentence shown to a person, and sent as the 403's message. */
export function maskedFilterMessage(refused: readonly MaskedField[]): string {
  return `Filtering by ${refused.map((r) => words[r]).join(', ')} needs the permission to see payloads (read:payloads): your role sees these masked.`;
}

/** Throws `forbidden` (403) when the filter uses data the caller sees masked. */
export function assertMayFilter(who: Principal | boolean, f: DataFilter): void {
  const refused = maskedFiltersIn(showsPayloads(who), f);
  if (refused.length > 0) throw new HeraldError('forbidden', maskedFilterMessage(refused));
}

/**
 * For forms: whether to offer the error-text and payload-field inputs at all. The key input is
 * always offered (most keys are shown as they are); a masked key gets the message instead.
 */
export function mayFilterOnPayloads(who: Principal | boolean): boolean {
  return showsPayloads(who);
}

/**
 * The lookup as this caller may run it. Without `read:payloads` it matches event ids and
 * business keys only (what a viewer sees); an email address — the lookup's way of searching
 * payloads — is refused with `forbidden`, and the payload order id and idempotency key candidates
 * are dropped; a query that leaves nothing to search (a phone number) is refused too.
 */
export function lookupFor(who: Principal | boolean, q: LookupQuery): LookupQuery {
  if (showsPayloads(who)) return q;
  if (q.email) assertMayFilter(who, { payload: q.email });
  const keys = q.keys.filter((k) => maskedFiltersIn(false, { key: k }).length === 0);
  if (keys.length === 0 && q.eventId === null) assertMayFilter(who, { key: q.keys });
  return { ...q, email: null, keys, orderIds: [], idempotencyKey: null };
}
