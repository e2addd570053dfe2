import { sql } from 'drizzle-orm';
import { config } from '@/lib/config';
import { sharedDb } from '@/lib/db/client';
import { errorJson } from '@/lib/http/errors';

export const dynamic = 'force-dynamic';

/**
 * Only for `npm run bench:api` (HERALD_BENCH_BASELINE=1): the cheapest useful route — parse a
 * JSON body, one INSERT into a plain table — that the publish endpoint is measured against.
 * Refused (404) otherwise, so it never exists in a real deployment.
 */
export async function POST(request: Request) {
  if (config().HERALD_BENCH_BASELINE !== '1') return errorJson(404, 'not_found', 'not found');
  const body: unknown = await request.json();
  const { rows } = await sharedDb().execute<{ id: number }>(
    sql`INSERT INTO public.bench_baseline (body) VALUES (${JSON.stringify(body)}::jsonb) RETURNING id`,
  );
  return Response.json({ id: rows[0]?.id }, { status: 201 });
}
