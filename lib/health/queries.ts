import type pg from 'pg';

/** A worker whose last heartbeat is older than this is presumed gone (it beats every lease/3 ≈ 10 s). */
export const HEARTBEAT_MAX_AGE_SECONDS = 60;

export interface Health {
  status: 'ok' | 'unavailable';
  database: 'reachable' | 'unreachable';
  worker: { lastHeartbeatAt: string | null; ageSeconds: number | null };
}

const noWorker = { lastHeartbeatAt: null, ageSeconds: null };

/**
 * What `/api/health` reports. The age is computed by the database's clock, so a skewed app
 * server cannot make a live worker look dead. Never throws: an unreachable or slow database
 * (over `timeoutMs`) is a result, not an error.
 */
export async function checkHealth(pool: () => pg.Pool, timeoutMs = 3_000): Promise<Health> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
  });
  try {
    const { rows } = await Promise.race([
      pool().query<{ last: Date | null; age: number | null }>(
        `SELECT max(last_heartbeat_at) AS last,
                extract(epoch FROM now() - max(last_heartbeat_at))::float8 AS age
           FROM herald.workers`,
      ),
      timeout,
    ]);
    const row = rows[0];
    const worker = row?.last
      ? { lastHeartbeatAt: row.last.toISOString(), ageSeconds: Math.max(0, Math.round(row.age ?? 0)) }
      : noWorker;
    const fresh = worker.ageSeconds !== null && worker.ageSeconds < HEARTBEAT_MAX_AGE_SECONDS;
    return { status: fresh ? 'ok' : 'unavailable', database: 'reachable', worker };
  } catch {
    return { status: 'unavailable', database: 'unreachable', worker: noWorker };
  } finally {
    clearTimeout(timer);
  }
}
