import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/**
 * Where a request came from, for sign-in throttling and the audit log.
 *
 * X-Forwarded-For is written by whoever sends the request, so it says nothing unless a proxy of
 * ours wrote it. Herald's web server (scripts/web/server.ts) therefore works the address out from
 * the connection and puts it in a header of its own, replacing any value a client sent; route
 * handlers (which cannot see the socket) read only that header. X-Forwarded-For is consulted only
 * when the connection comes from an address listed in HERALD_TRUSTED_PROXIES.
 */
export const CLIENT_ADDRESS_HEADER = 'x-herald-client-address';

/**
 * HERALD_TRUSTED_PROXIES: comma-separated addresses and CIDR ranges (`10.0.0.0/8, ::1`). Throws
 * on anything else, so that a typo stops the server instead of silently trusting nobody (or the
 * wrong hosts).
 */
export function parseTrustedProxies(value: string): BlockList {
  const list = new BlockList();
  for (const entry of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [ip = '', bits, extra] = entry.split('/');
    const family = isIP(ip);
    const max = family === 4 ? 32 : 128;
    if (family === 0 || extra !== undefined || (bits !== undefined && !/^\d{1,3}$/.test(bits)))
      throw new Error(`not an IP address or CIDR range: ${entry}`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(ip, type);
    else if (Number(bits) > max) throw new Error(`prefix longer than ${max} bits: ${entry}`);
    else list.addSubnet(ip, Number(bits), type);
  }
  return list;
}

/** `::ffff:192.0.2.1` (an IPv4 client on a dual-stack socket) is `192.0.2.1`: one client, one key. */
function normalise(ip: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  return (mapped?.[1] ?? ip).toLowerCase();
}

/** One X-Forwarded-For entry as an address (`[::1]:443` and `192.0.2.1:80` lose the port), or undefined. */
function forwardedAddress(entry: string): string | undefined {
  let ip = entry.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(ip);
  if (bracketed) ip = bracketed[1] ?? '';
  else if (/^[\d.]+:\d+$/.test(ip)) ip = ip.slice(0, ip.lastIndexOf(':'));
  return isIP(ip) ? normalise(ip) : undefined;
}

function isTrusted(trusted: BlockList, ip: string): boolean {
  return trusted.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4');
}

/**
 * The client's address: the connection's peer, unless that peer is a trusted proxy. Then
 * X-Forwarded-For is walked from the right (each proxy appends the address it saw), skipping
 * trusted proxies; the first other address is the client. Entries further left were written by
 * the client and are never reached. A malformed entry stops the walk at the last trusted hop, so
 * a broken chain groups its clients under that proxy instead of letting each pick a fresh key.
 */
export function deriveClientAddress(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  trusted: BlockList | undefined,
): string {
  if (!peer || !isIP(peer)) return 'unknown';
  let nearest = normalise(peer);
  if (!trusted || !isTrusted(trusted, nearest)) return nearest;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? '')).split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = forwardedAddress(hops[i] ?? '');
    if (!hop) return nearest;
    if (!isTrusted(trusted, hop)) return hop;
    nearest = hop;
  }
  // Every hop is one of ours: the request started inside, at the leftmost.
  return nearest;
}

/** Replaces whatever the client sent in CLIENT_ADDRESS_HEADER with the address worked out above. */
export function setClientAddressHeader(req: IncomingMessage, trusted: BlockList | undefined): void {
  req.headers[CLIENT_ADDRESS_HEADER] = deriveClientAddress(
    req.socket.remoteAddress,
    req.headers['x-forwarded-for'],
    trusted,
  );
}

/**
 * The address Herald's web server recorded for this request. `unknown` when the request did not
 * pass through it (a route handler called directly): every such request then shares one address.
 */
export function clientAddress(headers: Headers): string {
  return headers.get(CLIENT_ADDRESS_HEADER) || 'unknown';
}
