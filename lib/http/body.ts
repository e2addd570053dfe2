import { config } from '../config';
import { HttpError } from './errors';
import { inspectJson } from './json-inspect';

/** `application/json`, `application/json; charset=utf-8`, `application/problem+json` … */
function isJson(contentType: string | null): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

/**
 * The body's bytes, read chunk by chunk: 413 (HttpError) as soon as a declared or counted size
 * passes `limit`, cancelling the stream there, so a client cannot make us buffer more. Also
 * used by the Postmark webhook (lib/email/webhook-request.ts).
 */
export async function readLimited(request: Request, limit: number): Promise<Uint8Array> {
  const tooLarge = () => new HttpError(413, 'payload_too_large', `the body is larger than ${limit} bytes`);
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      // Stop reading at once: a client must not be able to make us buffer gigabytes.
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a JSON body: 415 unless it says JSON, 413 past the limit (checked while reading, not
 * after), 400 when it does not parse or is not UTF-8, 422 for values PostgreSQL cannot store
 * or absurd nesting. `optional` bodies may be empty, with or without a content type.
 */
export async function readJson(request: Request, options: { optional?: boolean } = {}): Promise<unknown> {
  const limit = config().HERALD_API_BODY_LIMIT;
  const contentType = request.headers.get('content-type');
  if (options.optional && !contentType) {
    const bytes = await readLimited(request, limit);
    if (bytes.byteLength === 0) return undefined;
    throw new HttpError(415, 'unsupported_media_type', 'send the body as application/json');
  }
  if (!isJson(contentType))
    throw new HttpError(415, 'unsupported_media_type', 'send the body as application/json');
  const bytes = await readLimited(request, limit);
  if (bytes.byteLength === 0) {
    if (options.optional) return undefined;
    throw new HttpError(400, 'malformed_json', 'the body is empty; a JSON object is expected');
  }
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new HttpError(400, 'malformed_json', 'the body is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof SyntaxError ? `: ${error.message.slice(0, 200)}` : '';
    throw new HttpError(400, 'malformed_json', `the body is not valid JSON${detail}`);
  }
  const problem = inspectJson(value);
  if (problem) throw new HttpError(422, 'invalid_request', `the body ${problem.message}`, [problem]);
  return value;
}
