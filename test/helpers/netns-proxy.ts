import net from 'node:net';

/**
 * The database's address as a host in a network namespace sees it: a plain TCP forwarder in the
 * root namespace, listening on that host's link and passing bytes to PostgreSQL. It stands in for
 * routing, because the servers the tests use listen on localhost only (the system PostgreSQL is
 * shared and is not ours to reconfigure) and the kernel does not route a veth's packets to
 * 127.0.0.1. It does nothing to the traffic: a partition is made by cutting the link
 * (netns.ts), so the forwarder's sockets to the host see the same silence a server would.
 */
export interface LinkProxy {
  port: number;
  /** `databaseUrl` with its host and port replaced by this forwarder's. */
  urlFor(databaseUrl: string): string;
  close(): Promise<void>;
}

/**
 * `port` 0 listens on any free port; a given one lets a test open the link again where it closed
 * it (test/lease-deadline.test.ts cuts a worker off with close(), then heals).
 */
export async function startLinkProxy(
  listenAddress: string,
  databaseUrl: string,
  port = 0,
): Promise<LinkProxy> {
  const target = new URL(databaseUrl);
  const targetPort = Number(target.port || 5432);
  const targetHost = target.hostname === 'localhost' ? '127.0.0.1' : target.hostname;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    // Either side closing or failing closes the other, as a server's own socket would.
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, listenAddress, resolve);
  });
  const listening = (server.address() as net.AddressInfo).port;
  return {
    port: listening,
    urlFor(databaseUrl) {
      const u = new URL(databaseUrl);
      u.hostname = listenAddress;
      u.port = String(listening);
      return u.toString();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
