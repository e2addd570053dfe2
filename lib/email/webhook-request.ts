import { formatPath } from '../channels/registry';
import type { Executor } from '../db/client';
import { readLimited } from '../http/body';
import { HttpError } from '../http/errors';
import type { WebhookCredentials } from './config';
import { checkBasicAuth, postmarkWebhook, storePostmarkWebhook } from './webhooks';

/** Postmark's webhook bodies are small; anything near this is not one of them. */
const MAX_BODY_BYTES = 1024 * 1024;

export interface WebhookAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const problem = (status: number, code: string, message: string, headers?: Record<string, string>) => ({
  status,
  body: { error: { code, message } },
  headers,
});

/**
 * POST /api/v1/webhooks/postmark, independent of Next.js: authorise (basic auth), parse,
 * validate by RecordType, store. Anything malformed gets a 4xx and nothing is stored.
 */
export async function receivePostmarkWebhook(
  db: Executor,
  request: Request,
  credentials: WebhookCredentials | undefined,
): Promise<WebhookAnswer> {
  if (!checkBasicAuth(request.headers.get('authorization'), credentials)) {
    return problem(401, 'unauthorized', 'valid webhook credentials are required (HTTP basic auth)', {
      'WWW-Authenticate': 'Basic realm="herald-webhooks", charset="UTF-8"',
    });
  }
  // Read while counting, not all first: a body with no Content-Length (or a false one) that
  // never ends gets 413 once past the limit, instead of filling the memory.
  let bytes: Uint8Array;
  try {
    bytes = await readLimited(request, MAX_BODY_BYTES);
  } catch (error) {
    if (error instanceof HttpError && error.status === 413)
      return problem(413, 'payload_too_large', `the body is larger than ${MAX_BODY_BYTES} bytes`);
    throw error;
  }
  const text = new TextDecoder().decode(bytes);
  // PostgreSQL's jsonb refuses \u0000: answer clearly instead of failing in the database.
  if (text.includes('\\u0000')) return problem(400, 'invalid_payload', 'strings may not contain \\u0000');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return problem(400, 'invalid_request', 'the body is not valid JSON');
  }
  const parsed = postmarkWebhook.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('; ');
    return problem(422, 'invalid_payload', `not a Postmark webhook we understand — ${issues}`);
  }
  const stored = await storePostmarkWebhook(db, parsed.data);
  return { status: 200, body: { ok: true, ...stored } };
}
