import { setAlertRule } from '@/lib/alerts/operations';
import { readJson } from '@/lib/http/body';
import { withRoute } from '@/lib/http/route';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** PUT `{ kind, subscription?, enabled?, threshold?, windowSeconds?, minCount?, repeatSeconds? }` (operators; audited). */
export const PUT = withRoute({ permission: 'subscriptions:operate' }, async ({ request, db, principal }) =>
  Response.json(await setAlertRule(db, principal, await readJson(request, { optional: true }))),
);
