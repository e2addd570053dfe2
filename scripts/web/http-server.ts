import http from 'node:http';
import type { BlockList } from 'node:net';
import { setClientAddressHeader } from '../../lib/http/client-address';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> | void;

/**
 * The HTTP server in front of Next's request handler. Its one job beyond `next start`'s: record
 * the client's address from the connection (lib/http/client-address.ts) before Next sees the
 * request, since route handlers cannot see the socket and X-Forwarded-For is whatever the client
 * wrote. Two header operations per request: the publish path does not notice.
 */
export function createWebServer(handle: Handler, trustedProxies: BlockList | undefined): http.Server {
  const server = http.createServer(async (req, res) => {
    try {
      setClientAddressHeader(req, trustedProxies);
      await handle(req, res);
    } catch (error) {
      // As `next start` does: a handler that throws still gets an answer.
      console.error(`Failed to handle request for ${req.url}`, error);
      if (!res.headersSent) res.statusCode = 500;
      res.end('Internal Server Error');
    }
  });
  // Idle keep-alive connections stay open longer than the proxies and clients in front keep
  // theirs (a load balancer's idle timeout is commonly 60 s): with Node's 5 s, a request sent on
  // a connection at the moment the server closes it fails with ECONNRESET (or a proxy's 502), and
  // a POST cannot safely be sent again. Shutdown is not slowed: closeGracefully closes idle
  // connections at once. Headers must be allowed at least as long (Node's rule).
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
  return server;
}

export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/**
 * Stops accepting connections and resolves when the requests under way have finished, like
 * `next start` on SIGTERM. Keep-alive connections are closed as soon as they fall idle, rather
 * than after their keep-alive timeout: a connection whose last response just went out would
 * otherwise hold the stop up for seconds.
 */
export function closeGracefully(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    server.close(() => {
      clearInterval(sweep);
      resolve();
    });
    server.closeIdleConnections();
  });
}
