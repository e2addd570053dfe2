import { sharedPool } from '@/lib/db/client';
import { checkHealth } from '@/lib/health/queries';

// Always ask the database; a cached answer would defeat the point of a health check.
export const dynamic = 'force-dynamic';

/** 200 when the database answers and a worker beat recently, else 503 — for probes and the start command. */
export async function GET() {
  const health = await checkHealth(sharedPool);
  return Response.json(health, {
    status: health.status === 'ok' ? 200 : 503,
    headers: { 'Cache-Control': 'no-store' },
  });
}
