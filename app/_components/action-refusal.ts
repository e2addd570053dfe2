import type { Principal } from '@/lib/auth/principal';
import { type ErrorCode, HeraldError } from '@/lib/errors';

/**
 * How a server action reports what the operation refused: the same code the API answers with
 * (lib/http/errors.ts maps it to the status), the operation's sentence, and the field it is
 * about (`reason`). The dashboard shows the message; tests compare the code with the API's.
 */
export type Refusal = { ok: false; code: ErrorCode; message: string; field?: string };

export const notSignedIn = (): Refusal => ({
  ok: false,
  code: 'unauthorized',
  message: 'Your session has ended: sign in again.',
});

/**
 * Runs an operation for the signed-in principal; a HeraldError (the operation's refusal)
 * becomes a Refusal, anything else is a failure and is thrown on.
 */
export async function refusalOr<T>(
  me: Principal | null,
  run: (me: Principal) => Promise<T>,
): Promise<{ ok: true; value: T } | Refusal> {
  if (!me) return notSignedIn();
  try {
    return { ok: true, value: await run(me) };
  } catch (error) {
    if (!(error instanceof HeraldError)) throw error;
    const field = error.details?.[0]?.path;
    return {
      ok: false,
      code: error.code,
      message: error.message,
      ...(field && field !== '(root)' ? { field } : {}),
    };
  }
}
