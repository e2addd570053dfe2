import { listAlerts, listDestinations, listRules } from '@/lib/alerts/queries';
import { withRoute } from '@/lib/http/route';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** Alerts (firing first, then history), rules and destinations (URLs for admins only). */
export const GET = withRoute({ permission: 'read', reads: 'cheap' }, async ({ db, principal }) => {
  const [alerts, rules, destinations] = await Promise.all([
    listAlerts(db),
    listRules(db),
    listDestinations(db, principal),
  ]);
  return Response.json({ alerts, rules, destinations }, { headers: { 'Cache-Control': 'no-store' } });
});
