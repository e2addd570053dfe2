/**
 * What people without `read:payloads` see: the shape of the data without its contents. Keys
 * stay (they tell what kind of message it was); strings are hidden, email addresses keep their
 * domain (`j•••@example.com`) so support can still tell providers apart; numbers and booleans
 * stay (totals, counts). Iterative, so stored data of any depth is safe to mask.
 */
const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;
const PHONE = /\+?\d[\d ().-]{6,}\d/g;
export const MASK = '•••';

export function maskText(s: string): string {
  return s.replace(EMAIL, `$1${MASK}@$2`).replace(PHONE, MASK);
}

function maskString(s: string): string {
  const email = /^([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+)$/.exec(s);
  return email ? `${email[1]}${MASK}@${email[2]}` : MASK;
}

export function maskValue(value: unknown): unknown {
  if (typeof value === 'string') return maskString(value);
  if (value === null || typeof value !== 'object') return value;
  const out: { v: unknown } = { v: undefined };
  const stack: { src: unknown; set: (v: unknown) => void }[] = [{ src: value, set: (v) => (out.v = v) }];
  while (stack.length > 0) {
    const { src, set } = stack.pop()!;
    if (typeof src === 'string') set(maskString(src));
    else if (src === null || typeof src !== 'object') set(src);
    else if (Array.isArray(src)) {
      const arr: unknown[] = new Array(src.length);
      set(arr);
      for (let i = 0; i < src.length; i++) {
        stack.push({
          src: src[i],
          set: (m) => {
            arr[i] = m;
          },
        });
      }
    } else {
      // No prototype: a stored key named `__proto__` stays an ordinary key.
      const obj: Record<string, unknown> = Object.create(null);
      set(obj);
      for (const [k, v] of Object.entries(src)) stack.push({ src: v, set: (m) => (obj[k] = m) });
    }
  }
  return out.v;
}

/**
 * An idempotency key: hidden whole. It is the publisher's own string, often built from an address
 * or a token (`welcome:<email>`), and nobody without `read:payloads` needs its value.
 */
export function maskIdempotencyKey(key: string | null): string | null {
  return key === null ? null : MASK;
}

/** A business key: hide it when it names a person (an email or a phone number). */
export function maskKey(key: string | null): string | null {
  return key === null ? null : maskText(key);
}
