import { sharedPool } from '@/lib/db/client';
import { sharedReadRouter } from '@/lib/db/read-routing';
import { checkHealth } from '@/lib/health/queries';

// Always ask the database; a cached answer would defeat the point of a health check.
export const dynamic = 'force-dynamic';

/**
 * 200 when the database answers and a worker beat recently, else 503 — for probes and the start
 * command. `readReplica` (null without HERALD_READ_DATABASE_URL) reports the replica's state and
 * lag measured now; a replica that is down or behind degrades reads to the primary, so it never
 * turns this answer into a 503. Its error text stays in the app's own status, not on this
 * unauthenticated URL (it may name hosts).
 */
export async function GET() {
  const [health, replica] = await Promise.all([
    checkHealth(sharedPool),
    sharedReadRouter()
      .replicaStatus()
      .catch(() => null),
  ]);
  const readReplica = replica && { state: replica.state, lagMs: replica.lagMs, replayLsn: replica.replayLsn };
  return Response.json(
    { ...health, readReplica },
    { status: health.status === 'ok' ? 200 : 503, headers: { 'Cache-Control': 'no-store' } },
  );
}
