import { streamRoute } from '@/lib/realtime/stream-route';

// A long-lived response: never prerendered or cached, and it needs Node (the LISTEN connection).
export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/**
 * Server-sent events for the live dashboard: per-second activity totals and resync requests,
 * from the process's one shared LISTEN connection. See lib/realtime/sse.ts for the protocol.
 * A stream ends within a few seconds of its session being signed out, its account disabled or
 * its API key revoked (lib/realtime/stream-route.ts).
 */
export const GET = streamRoute();
