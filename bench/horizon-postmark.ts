import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ServerClient } from 'postmark';

/**
 * A minimal Postmark-compatible `POST /email` and `/email/batch` for bench:horizon: it accepts every message at
 * once with Postmark's success shape, so the benchmark measures the queue, not a provider. Both
 * systems send through the official `postmark` client to it, one email per delivery/job (Herald with
 * `--batch`: up to 500 per request).
 */
export interface PostmarkStandIn {
  /** Messages accepted so far. */
  readonly accepted: () => number;
  /** An official client pointed at the stand-in. */
  readonly client: ServerClient;
  close(): Promise<void>;
}

export async function startPostmarkStandIn(): Promise<PostmarkStandIn> {
  let accepted = 0;
  let next = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || (req.url !== '/email' && req.url !== '/email/batch')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ErrorCode: 404, Message: 'not found' }));
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(422, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ErrorCode: 300, Message: 'Invalid email request' }));
        return;
      }
      const answer = (message: unknown) => {
        accepted++;
        return {
          To: String((message as { To?: unknown } | null)?.To ?? ''),
          SubmittedAt: new Date().toISOString(),
          MessageID: `bench-${++next}`,
          ErrorCode: 0,
          Message: 'OK',
        };
      };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(req.url === '/email/batch' && Array.isArray(body) ? body.map(answer) : answer(body)),
      );
    });
  });
  // Keep-alive sockets from the client must not hold close() up.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = new ServerClient('bench-server-token', {
    useHttps: false,
    requestHost: `127.0.0.1:${port}`,
    timeout: 30,
  });
  return {
    accepted: () => accepted,
    client,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One order email, as both systems' handlers send it. */
export function orderEmail(n: number) {
  return {
    From: 'orders@shop.test',
    To: `customer-${n}@example.test`,
    Subject: `Order ${n} confirmed`,
    TextBody: `Thank you for order ${n}.`,
    MessageStream: 'outbound',
  };
}
