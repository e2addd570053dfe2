import type { z } from 'zod';
import { formatPath } from '../channels/registry';
import type { IssueDetail } from '../errors';
import { HttpError } from './errors';

/** Zod issues as API details: one `{ path, message }` per problem, paths dotted (`events.3.channel`). */
export function issueDetails(error: z.ZodError, prefix: (string | number)[] = []): IssueDetail[] {
  return error.issues
    .slice(0, 100)
    .map((i) => ({ path: formatPath([...prefix, ...i.path]), message: i.message }));
}

/** Parses or throws 422 `invalid_request` with every field path. */
export function parseOr422<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what = 'the request',
): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new HttpError(422, 'invalid_request', `${what} is invalid`, issueDetails(result.error));
  return result.data;
}

/** Query-string parameters as an object; a repeated parameter is refused rather than silently dropped. */
export function searchParams(request: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URL(request.url).searchParams) {
    if (Object.hasOwn(out, k))
      throw new HttpError(422, 'invalid_request', `the parameter "${k}" is given twice`);
    out[k] = v;
  }
  return out;
}
