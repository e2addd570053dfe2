import { testAlertDestination } from '@/lib/alerts/operations';
import { publicUrl } from '@/lib/alerts/settings';
import { idParam } from '@/lib/http/params';
import { withRoute } from '@/lib/http/route';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** Queues a test message to one destination; a worker sends it like any alert (operators; audited). */
export const POST = withRoute<{ id: string }>(
  { permission: 'subscriptions:operate' },
  async ({ db, principal, params }) =>
    Response.json(
      await testAlertDestination(db, principal, idParam(params.id, 'alert destination'), publicUrl()),
      { status: 202 },
    ),
);
