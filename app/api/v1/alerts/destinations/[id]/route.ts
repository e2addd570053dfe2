import { removeAlertDestination } from '@/lib/alerts/operations';
import { idParam } from '@/lib/http/params';
import { withRoute } from '@/lib/http/route';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** Removes a destination added in the dashboard (admins; audited). `env:` ones follow the environment. */
export const DELETE = withRoute<{ id: string }>({ permission: 'admin' }, async ({ db, principal, params }) =>
  Response.json(await removeAlertDestination(db, principal, idParam(params.id, 'alert destination'))),
);
