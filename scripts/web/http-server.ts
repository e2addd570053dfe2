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
  return http.createServer(async (req, res) => {
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
}

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
