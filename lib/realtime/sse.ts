import type { ActivityHub } from './hub';
import { formatEventId, type HubMessage, type StreamEventName } from './messages';

export interface SseOptions {
  /** A comment line this often keeps proxies and load balancers from closing an idle stream. */
  heartbeatMs?: number;
  /** A client this many messages behind is dropped; it reconnects and resyncs. */
  maxQueued?: number;
  /**
   * Whether the principal that opened the stream may still read it (signed in, not disabled,
   * key not revoked). Asked every `recheckMs`; the stream ends at the first `false` or error,
   * and the browser's reconnect then meets the usual authentication.
   */
  stillValid?: () => Promise<boolean>;
  /** How often `stillValid` is asked (default 5 s). */
  recheckMs?: number;
}

export const SSE_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  // no-transform: compression proxies would otherwise buffer the stream.
  'Cache-Control': 'no-cache, no-transform',
  // nginx buffers proxied responses unless told not to.
  'X-Accel-Buffering': 'no',
  Connection: 'keep-alive',
} as const;

/** How long a browser waits before reconnecting after the stream ends. */
const RETRY_MS = 2_000;

function frame(epoch: string, seq: number, event: StreamEventName, data: string): string {
  return `id: ${formatEventId(epoch, seq)}\nevent: ${event}\ndata: ${data}\n\n`;
}

/**
 * One browser's event stream, fed by the shared hub. Starts with `hello` (fresh), the missed
 * messages (resume) or `resync`; every message carries an id. Ends, and unsubscribes, when the
 * request is aborted (tab closed, network gone), the reader cancels, or `stillValid` says the
 * principal behind it is gone (signed out, disabled, key revoked).
 */
export function sseResponse(hub: ActivityHub, request: Request, options: SseOptions = {}): Response {
  const encoder = new TextEncoder();
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxQueued = options.maxQueued ?? 256;
  const recheckMs = options.recheckMs ?? 5_000;
  const stillValid = options.stillValid;
  let cleanup = () => {};

  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        let closed = false;
        const write = (text: string) => {
          if (closed) return;
          // desiredSize counts queued chunks (highWaterMark below): a reader that stopped reading.
          if ((controller.desiredSize ?? 0) < -maxQueued) {
            cleanup();
            return;
          }
          controller.enqueue(encoder.encode(text));
        };
        const send = (m: HubMessage) => write(frame(hub.epoch, m.seq, m.event, m.data));
        const { catchup, unsubscribe } = hub.subscribe(send, request.headers.get('last-event-id'));
        const heartbeat = setInterval(() => write(`: ping ${Date.now()}\n\n`), heartbeatMs);
        heartbeat.unref?.();
        // One check at a time: the next is scheduled when the previous has answered.
        let recheck: ReturnType<typeof setTimeout> | undefined;
        const scheduleCheck = () => {
          if (!stillValid || closed) return;
          recheck = setTimeout(async () => {
            const valid = await stillValid().catch(() => false);
            if (!valid) return cleanup();
            scheduleCheck();
          }, recheckMs);
          recheck.unref?.();
        };

        cleanup = () => {
          if (closed) return;
          closed = true;
          clearInterval(heartbeat);
          clearTimeout(recheck);
          unsubscribe();
          request.signal.removeEventListener('abort', cleanup);
          try {
            controller.close();
          } catch {
            // already closed or errored by the runtime
          }
        };
        request.signal.addEventListener('abort', cleanup, { once: true });
        if (request.signal.aborted) return cleanup();

        write(`retry: ${RETRY_MS}\n\n`);
        const here = JSON.stringify({ epoch: hub.epoch, listening: hub.listening });
        if (catchup.kind === 'resume') for (const m of catchup.missed) send(m);
        else write(frame(hub.epoch, hub.lastSeq, catchup.kind === 'fresh' ? 'hello' : 'resync', here));
        scheduleCheck();
      },
      cancel() {
        cleanup();
      },
    },
    { highWaterMark: 1 },
  );
  return new Response(stream, { headers: SSE_HEADERS });
}
