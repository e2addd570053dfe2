import { timingSafeEqual } from 'node:crypto';
import { config } from '@/lib/config';
import { sharedPool } from '@/lib/db/client';
import { collectMetrics } from '@/lib/metrics/collect';

export const dynamic = 'force-dynamic';

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const error = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
  Response.json({ error: { code, message } }, { status, headers });

/** Prometheus metrics, for scrapers holding HERALD_METRICS_TOKEN (`Authorization: Bearer …`). */
export async function GET(request: Request) {
  const token = config().HERALD_METRICS_TOKEN;
  if (!token) return error(404, 'not_found', 'metrics are off: set HERALD_METRICS_TOKEN to enable them');
  const header = request.headers.get('authorization') ?? '';
  const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
  if (!sameSecret(given, token))
    return error(401, 'unauthorized', 'send the metrics token as Authorization: Bearer <token>', {
      'WWW-Authenticate': 'Bearer realm="herald-metrics"',
    });
  try {
    const body = await collectMetrics(sharedPool());
    return new Response(body, {
      headers: { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control': 'no-store' },
    });
  } catch {
    return error(503, 'unavailable', 'the database did not answer');
  }
}
