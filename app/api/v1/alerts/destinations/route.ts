import { addAlertDestination } from '@/lib/alerts/operations';
import { readJson } from '@/lib/http/body';
import { withRoute } from '@/lib/http/route';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** POST `{ kind: slack|webhook|email, name, url | emails, secret? }` (admins; audited without URL or secret). */
export const POST = withRoute({ permission: 'admin' }, async ({ request, db, principal }) =>
  Response.json(await addAlertDestination(db, principal, await readJson(request, { optional: true })), {
    status: 201,
  }),
);
