import net from 'node:net';
import { onExit } from './cleanup';

/**
 * A TCP proxy of the test's own between Herald and PostgreSQL. It reads each connection's
 * startup packet to learn its application_name, and can freeze chosen connections: bytes are
 * still read (so TCP never closes or pushes back) but no longer passed on — a silent stall,
 * like a dead NAT entry, that the client can only notice by its own health check.
 */
export interface ProxiedConnection {
  applicationName: string | undefined;
  openedAt: number;
  frozenAt?: number;
  closedAt?: number;
}

export interface StallProxy {
  port: number;
  /** The same connection string, pointing at the proxy. */
  urlFor(databaseUrl: string): string;
  /** Freeze every open connection with this application_name; returns how many. */
  freeze(applicationName: string): number;
  /**
   * Freeze the next connection with this application_name at the moment it sends a message
   * containing `text` (that message is not passed on): a stall between two steps of a handshake.
   */
  freezeOnce(applicationName: string, text: string): void;
  connections(): readonly ProxiedConnection[];
  close(): Promise<void>;
}

/** application_name from a StartupMessage (int32 length, int32 protocol, key\0value\0 … \0). */
function applicationNameOf(packet: Buffer): string | undefined {
  const parts = packet.subarray(8).toString('utf8').split('\0');
  for (let i = 0; i + 1 < parts.length; i += 2) if (parts[i] === 'application_name') return parts[i + 1];
  return undefined;
}

export async function startStallProxy(targetPort: number): Promise<StallProxy> {
  const conns: { info: ProxiedConnection; frozen: boolean; sockets: net.Socket[] }[] = [];
  const traps: { applicationName: string; text: string }[] = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    const entry = {
      info: { applicationName: undefined, openedAt: Date.now() } as ProxiedConnection,
      frozen: false,
      sockets: [client, upstream],
    };
    conns.push(entry);
    let head: Buffer | undefined = Buffer.alloc(0);
    const end = () => {
      entry.info.closedAt ??= Date.now();
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk) => {
      if (head !== undefined) {
        head = Buffer.concat([head, chunk]);
        if (head.length >= 8 && head.length >= head.readInt32BE(0)) {
          entry.info.applicationName = applicationNameOf(head.subarray(0, head.readInt32BE(0)));
          head = undefined;
        }
      }
      const trap = traps.findIndex(
        (t) =>
          head === undefined && t.applicationName === entry.info.applicationName && chunk.includes(t.text),
      );
      if (trap >= 0 && !entry.frozen) {
        traps.splice(trap, 1);
        entry.frozen = true;
        entry.info.frozenAt = Date.now();
      }
      if (!entry.frozen) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!entry.frozen) client.write(chunk);
    });
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('close', end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const closeAll = () => {
    for (const c of conns) for (const s of c.sockets) s.destroy();
    server.close();
  };
  const unregister = onExit(closeAll);
  return {
    port,
    urlFor(databaseUrl) {
      const u = new URL(databaseUrl);
      u.port = String(port);
      return u.toString();
    },
    freeze(applicationName) {
      let n = 0;
      for (const c of conns) {
        if (c.info.applicationName !== applicationName || c.info.closedAt !== undefined || c.frozen) continue;
        c.frozen = true;
        c.info.frozenAt = Date.now();
        n++;
      }
      return n;
    },
    freezeOnce(applicationName, text) {
      traps.push({ applicationName, text });
    },
    connections: () => conns.map((c) => c.info),
    async close() {
      closeAll();
      unregister();
    },
  };
}
