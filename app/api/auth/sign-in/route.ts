import { z } from 'zod';
import { assertSameOrigin, jsonWithCookies } from '@/lib/auth/respond';
import { signIn } from '@/lib/auth/sign-in';
import { sharedDb } from '@/lib/db/client';
import { readJson } from '@/lib/http/body';
import { errorJson, toErrorResponse } from '@/lib/http/errors';
import { parseOr422 } from '@/lib/http/validate';

export const dynamic = 'force-dynamic';

const SignInBody = z.strictObject({ email: z.string().max(254), password: z.string().max(256) });

/**
 * Email + password → session cookie. 401 for a wrong pair; 429 + Retry-After while throttled or
 * while every password-hash slot is busy (lib/auth/sign-in.ts).
 */
export async function POST(request: Request) {
  try {
    assertSameOrigin(request);
    const body = parseOr422(SignInBody, await readJson(request));
    const result = await signIn(sharedDb(), { ...body, headers: request.headers });
    if (result.ok) return jsonWithCookies({ email: result.email }, result.setCookies);
    if (result.status === 429) {
      return errorJson(429, 'rate_limited', result.message, undefined, {
        'Retry-After': String(result.retryAfterSeconds),
      });
    }
    return errorJson(401, 'unauthorized', result.message);
  } catch (error) {
    return toErrorResponse(error);
  }
}
