import { readJson } from '@/lib/http/body';
import { withRoute } from '@/lib/http/route';
import { TuningRequest } from '@/lib/http/schemas';
import { parseOr422 } from '@/lib/http/validate';
import { readSubscriptionTuning, setSubscriptionTuning } from '@/lib/operations/tuning';

export const dynamic = 'force-dynamic';

/** The concurrency and send rate in force, as declared in code and as an operator set them. */
export const GET = withRoute<{ name: string }>(
  { permission: 'read', reads: 'cheap' },
  async ({ db, params }) =>
    Response.json(await readSubscriptionTuning(db, params.name), {
      headers: { 'Cache-Control': 'no-store' },
    }),
);

/**
 * PATCH `{ concurrency?, ratePerSecond?, reason? }` (null: back to the declared value): the same
 * change as the console's Tune dialog and `herald subscription set`, audited as
 * `subscription.tune`; running workers apply it within seconds. Who may, the bounds and 404 are
 * setSubscriptionTuning's policy.
 */
export const PATCH = withRoute<{ name: string }>(
  { permission: 'subscriptions:operate' },
  async ({ request, principal, db, params }) => {
    const body = parseOr422(TuningRequest, await readJson(request), 'the request');
    return Response.json(await setSubscriptionTuning(db, principal, { ...body, name: params.name }));
  },
);
