import { z } from 'zod';
import { assertSameOrigin, jsonWithCookies } from '@/lib/auth/respond';
import { completeSetup } from '@/lib/auth/setup';
import { signIn } from '@/lib/auth/sign-in';
import { emailSchema, passwordSchema } from '@/lib/auth/users';
import { sharedDb } from '@/lib/db/client';
import { readJson } from '@/lib/http/body';
import { toErrorResponse } from '@/lib/http/errors';
import { parseOr422 } from '@/lib/http/validate';

export const dynamic = 'force-dynamic';

const SetupBody = z.strictObject({
  token: z.string().min(1).max(200),
  email: emailSchema,
  password: passwordSchema,
});

/** First run: the setup link's token creates the first admin, who is signed in at once. */
export async function POST(request: Request) {
  try {
    assertSameOrigin(request);
    const body = parseOr422(SetupBody, await readJson(request));
    const db = sharedDb();
    const user = await completeSetup(db, body.token, body.email, body.password);
    const session = await signIn(db, {
      email: user.email,
      password: body.password,
      headers: request.headers,
    });
    return jsonWithCookies({ email: user.email }, session.ok ? session.setCookies : [], 201);
  } catch (error) {
    return toErrorResponse(error);
  }
}
