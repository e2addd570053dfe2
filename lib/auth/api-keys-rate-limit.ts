/**
 * Per-key rate limit: a token bucket per API key, in this process's memory. A bucket holds
 * `perMinute` tokens and refills continuously, so a key can burst its full minute and then
 * sustain `perMinute / 60` per second. Behind N app instances the effective limit is N times
 * the setting: the limit protects the database from one runaway client, it is not billing, and
 * a shared counter would add a write to every request. Password guessing has its own, shared
 * limit (./password-guess-throttle.ts).
 */
interface Bucket {
  tokens: number;
  at: number;
  perMinute: number;
}

const buckets = new Map<number, Bucket>();
const MAX_BUCKETS = 100_000;

export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

export function takeToken(keyId: number, perMinute: number, now = Date.now()): RateDecision {
  let b = buckets.get(keyId);
  if (!b || b.perMinute !== perMinute) {
    if (buckets.size >= MAX_BUCKETS) buckets.clear();
    b = { tokens: perMinute, at: now, perMinute };
    buckets.set(keyId, b);
  }
  const ratePerMs = perMinute / 60_000;
  b.tokens = Math.min(perMinute, b.tokens + (now - b.at) * ratePerMs);
  b.at = now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return { ok: true };
  }
  return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / ratePerMs / 1000)) };
}

/** Forgets every bucket (tests). */
export function resetRateLimits(): void {
  buckets.clear();
}
