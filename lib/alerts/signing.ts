import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Alert webhooks are signed the Standard Webhooks way (standardwebhooks.com, also Svix's):
 * `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature: v1,<base64>` where the
 * signature is HMAC-SHA256 over `${id}.${timestamp}.${raw body}`. The key is the destination's
 * secret: base64-decoded after the `whsec_` prefix when it has one (so Standard Webhooks libraries
 * verify it as is), otherwise its UTF-8 bytes. docs/ALERTS.md shows a receiver's check.
 */

function keyOf(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

export function signature(secret: string, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

export function signedHeaders(
  secret: string,
  id: string,
  body: string,
  now = new Date(),
): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signature(secret, id, timestamp, body),
  };
}

/**
 * A receiver's check: one of the space-separated signatures matches and the timestamp is within
 * `toleranceSeconds` (a replayed old message fails). Exported for tests and as the reference.
 */
export function verifySignature(
  secret: string,
  headers: { id: string; timestamp: string; signature: string },
  body: string,
  { now = new Date(), toleranceSeconds = 300 } = {},
): boolean {
  const timestamp = Number(headers.timestamp);
  if (!Number.isInteger(timestamp) || Math.abs(now.getTime() / 1000 - timestamp) > toleranceSeconds)
    return false;
  const expected = Buffer.from(signature(secret, headers.id, timestamp, body));
  return headers.signature
    .split(' ')
    .map((s) => Buffer.from(s))
    .some((given) => given.length === expected.length && timingSafeEqual(given, expected));
}
