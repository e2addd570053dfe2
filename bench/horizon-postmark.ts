import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ServerClient } from 'postmark';

/**
 * A minimal Postmark-compatible `POST /email` for bench:horizon: it accepts every message at
 * once with Postmark's success shape, so the benchmark measures the queue, not a provider. Both
 * systems send through the official `postmark` client to it, one email per delivery/job.
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
      if (req.method !== 'POST' || req.url !== '/email') {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ErrorCode: 404, Message: 'not found' }));
        return;
      }
      let to = '';
      try {
        to = String((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { To?: unknown }).To ?? '');
      } catch {
        res.writeHead(422, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ErrorCode: 300, Message: 'Invalid email request' }));
        return;
      }
      accepted++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          To: to,
          SubmittedAt: new Date().toISOString(),
          MessageID: `bench-${++next}`,
          ErrorCode: 0,
          Message: 'OK',
        }),
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
