/**
 * A retry policy in words, from the same formula as herald.backoff_ms (base · 2^(n−1), capped,
 * ±25 % jitter): "Up to 20 attempts. Retries about 10 s, 20 s, 40 s … then every 1 h after a
 * failure; the last attempt comes about 11 h 25 min after the first." Permanent errors stop at once.
 */
function span(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}

export function retryPolicyInWords(p: {
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}): string {
  if (p.maxAttempts <= 1) return 'One attempt, no retries: a failure goes straight to the dead-letter queue.';
  const delays: number[] = [];
  for (let n = 1; n < p.maxAttempts; n++)
    delays.push(Math.min(p.backoffBaseMs * 2 ** (n - 1), p.backoffMaxMs));
  const growing = delays.filter((d) => d < p.backoffMaxMs);
  const shown = growing.slice(0, 5).map(span);
  const capped = delays.length > growing.length;
  const steps = [
    ...shown,
    ...(growing.length > 5 ? ['…'] : []),
    ...(capped ? [`then every ${span(p.backoffMaxMs)}`] : []),
  ];
  const total = delays.reduce((a, b) => a + b, 0);
  return `Up to ${p.maxAttempts} attempts. Retries about ${steps.join(', ')} after each failure (±25 % jitter); the last attempt comes about ${span(total)} after the first, then the delivery is dead. Permanent errors (e.g. an invalid recipient) go to the dead-letter queue at once.`;
}
