import { can } from '@/lib/auth/principal';
import type { Db } from '@/lib/db/client';
import { readJson } from '@/lib/http/body';
import { withRoute } from '@/lib/http/route';
import { parseOr422 } from '@/lib/http/validate';
import { maskText } from '@/lib/queries/mask';
import { getSandboxControls, listInactiveAddresses } from '@/lib/sandbox/settings';
import { applySandboxChange, SandboxChange } from './change';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

async function state(db: Db, mask: boolean) {
  const [controls, inactive] = await Promise.all([getSandboxControls(db), listInactiveAddresses(db)]);
  return {
    controls,
    // Recipients are personal data: shown in full only with `read:payloads`, like payloads.
    inactive: inactive.map((a) => ({ ...a, email: mask ? maskText(a.email) : a.email })),
  };
}

/** The email sandbox's controls and inactive addresses. */
export const GET = withRoute({ permission: 'read', reads: 'cheap' }, async ({ db, principal }) =>
  Response.json(await state(db, !can(principal, 'read:payloads')), {
    headers: { 'Cache-Control': 'no-store' },
  }),
);

/**
 * Operators and admins change the sandbox: maintenance now or as a window, failure rate, extra
 * latency, Retry-After, inactive addresses. Audited as `sandbox.update`.
 */
export const PATCH = withRoute(
  { permission: 'subscriptions:operate' },
  async ({ request, db, principal }) => {
    const change = parseOr422(SandboxChange, await readJson(request), 'the change');
    await applySandboxChange(db, principal, change);
    return Response.json(await state(db, !can(principal, 'read:payloads')), {
      headers: { 'Cache-Control': 'no-store' },
    });
  },
);
