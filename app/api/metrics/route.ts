import { timingSafeEqual } from 'node:crypto';
import { config } from '@/lib/config';
import { sharedPool } from '@/lib/db/client';
import { HeraldError } from '@/lib/errors';
import { HttpError, toErrorResponse } from '@/lib/http/errors';
import { collectMetrics } from '@/lib/metrics/collect';

export const dynamic = 'force-dynamic';

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Prometheus metrics, for scrapers holding HERALD_METRICS_TOKEN (`Authorization: Bearer …`,
 * compared in constant time). Not withRoute: the token is not a user or an API key. 404 while
 * the token is unset; failures take the API's error shape (lib/http/errors.ts).
 */
export async function GET(request: Request) {
  try {
    const token = config().HERALD_METRICS_TOKEN;
    if (!token)
      throw new HeraldError('not_found', 'metrics are off: set HERALD_METRICS_TOKEN to enable them');
    const header = request.headers.get('authorization') ?? '';
    const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    if (!sameSecret(given, token))
      throw new HttpError(
        401,
        'unauthorized',
        'send the metrics token as Authorization: Bearer <token>',
        undefined,
        { 'WWW-Authenticate': 'Bearer realm="herald-metrics"' },
      );
    const body = await collectMetrics(sharedPool()).catch(() => {
      // A scrape that fails is retried by Prometheus at its next interval: say so, not 500.
      throw new HttpError(503, 'unavailable', 'the database did not answer');
    });
    return new Response(body, {
      headers: { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control': 'no-store' },
    });
  } catch (error) {
    return toErrorResponse(error);
  }
}
