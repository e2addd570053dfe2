import { withRoute } from '@/lib/http/route';
import { sharedHub } from '@/lib/realtime/shared-hub';
import { sseResponse } from '@/lib/realtime/sse';

// A long-lived response: never prerendered or cached, and it needs Node (the LISTEN connection).
export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/**
 * Server-sent events for the live dashboard: per-second activity totals and resync requests,
 * from the process's one shared LISTEN connection. See lib/realtime/sse.ts for the protocol.
 */
export const GET = withRoute({ permission: 'read' }, async ({ request }) =>
  sseResponse(sharedHub(), request),
);
