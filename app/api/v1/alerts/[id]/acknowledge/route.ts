import { acknowledgeAlert } from '@/lib/alerts/operations';
import { readJson } from '@/lib/http/body';
import { idParam } from '@/lib/http/params';
import { withRoute } from '@/lib/http/route';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** POST `{ reason? }`: stops repeats of a firing alert (operators; audited). */
export const POST = withRoute<{ id: string }>(
  { permission: 'subscriptions:operate' },
  async ({ request, db, principal, params }) =>
    Response.json(
      await acknowledgeAlert(
        db,
        principal,
        idParam(params.id, 'alert'),
        await readJson(request, { optional: true }),
      ),
    ),
);
