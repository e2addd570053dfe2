import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { trustedProxies } from '../lib/auth/config';
import { CLIENT_ADDRESS_HEADER, deriveClientAddress, parseTrustedProxies } from '../lib/http/client-address';
import { closeGracefully, createWebServer, type Handler } from '../scripts/web/http-server';

/**
 * The client's address is taken from the connection; X-Forwarded-For counts only when it was
 * written by a proxy listed in HERALD_TRUSTED_PROXIES (lib/http/client-address.ts).
 */
describe('deriving the client address', () => {
  const proxies = parseTrustedProxies('10.0.0.0/8, 172.16.0.0/12, ::1');

  it('a spoofed X-Forwarded-For from an untrusted peer is ignored', () => {
    expect(deriveClientAddress('203.0.113.9', '198.51.100.1', undefined)).toBe('203.0.113.9');
    // Trusting some proxies does not make other peers' headers believable.
    expect(deriveClientAddress('203.0.113.9', '198.51.100.1', proxies)).toBe('203.0.113.9');
  });

  it('from a trusted proxy, the address it appended is taken, not what the client prepended', () => {
    expect(deriveClientAddress('10.0.0.2', '6.6.6.6, 198.51.100.7', proxies)).toBe('198.51.100.7');
    // A client claiming to be one of our proxies is still only the entry the proxy appended.
    expect(deriveClientAddress('10.0.0.2', '10.9.9.9, 198.51.100.7', proxies)).toBe('198.51.100.7');
  });

  it('a chain of trusted proxies is walked from the right to the first untrusted hop', () => {
    expect(deriveClientAddress('10.0.0.2', '6.6.6.6, 198.51.100.7, 172.16.0.5, 10.1.1.1', proxies)).toBe(
      '198.51.100.7',
    );
    // Repeated headers arrive as one list, in order.
    expect(deriveClientAddress('10.0.0.2', ['6.6.6.6', '198.51.100.7, 172.16.0.5'], proxies)).toBe(
      '198.51.100.7',
    );
    // Everything is ours: the request started inside, at the leftmost hop.
    expect(deriveClientAddress('10.0.0.2', '10.3.3.3, 172.16.0.5', proxies)).toBe('10.3.3.3');
  });

  it('a malformed or missing hop stops at the last trusted one instead of minting a new address', () => {
    expect(deriveClientAddress('10.0.0.2', 'not-an-ip', proxies)).toBe('10.0.0.2');
    expect(deriveClientAddress('10.0.0.2', '198.51.100.7, garbage, 172.16.0.5', proxies)).toBe('172.16.0.5');
    expect(deriveClientAddress('10.0.0.2', undefined, proxies)).toBe('10.0.0.2');
    expect(deriveClientAddress(undefined, '198.51.100.7', proxies)).toBe('unknown');
  });

  it('IPv4 on a dual-stack socket, IPv6, and ports give one key per client', () => {
    expect(deriveClientAddress('::ffff:203.0.113.9', undefined, undefined)).toBe('203.0.113.9');
    expect(deriveClientAddress('::ffff:10.0.0.2', '198.51.100.7:51234', proxies)).toBe('198.51.100.7');
    expect(deriveClientAddress('::1', '[2001:DB8::5]:443', proxies)).toBe('2001:db8::5');
    expect(deriveClientAddress('2001:db8::9', '198.51.100.7', proxies)).toBe('2001:db8::9');
  });

  it('HERALD_TRUSTED_PROXIES refuses what is not an address or range', () => {
    expect(() => parseTrustedProxies('localhost')).toThrow(/not an IP address or CIDR range: localhost/);
    expect(() => parseTrustedProxies('10.0.0.0/33')).toThrow(/prefix longer than 32 bits/);
    expect(() => parseTrustedProxies('10.0.0.0/8/1')).toThrow(/not an IP address/);
    expect(() => trustedProxies({ HERALD_TRUSTED_PROXIES: '10.0.0.0/8, proxy.internal' })).toThrow(
      /HERALD_TRUSTED_PROXIES: not an IP address or CIDR range: proxy.internal/,
    );
    expect(trustedProxies({})).toBeUndefined();
  });
});

describe("Herald's web server", () => {
  let server: http.Server | undefined;
  afterEach(async () => {
    if (server?.listening) await closeGracefully(server);
    server = undefined;
  });

  async function listen(handle: Handler, trusted?: string): Promise<number> {
    const started = createWebServer(handle, trusted === undefined ? undefined : parseTrustedProxies(trusted));
    server = started;
    await new Promise<void>((resolve) => started.listen(0, '127.0.0.1', resolve));
    return (started.address() as AddressInfo).port;
  }

  function get(port: number, headers: Record<string, string>): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/', headers }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            body += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        })
        .on('error', reject);
    });
  }

  const echo: Handler = (req, res) => {
    res.end(String(req.headers[CLIENT_ADDRESS_HEADER]));
  };

  it('replaces a client-sent address header and X-Forwarded-For with the connection address', async () => {
    const port = await listen(echo);
    const seen = await get(port, { 'x-forwarded-for': '198.51.100.7', [CLIENT_ADDRESS_HEADER]: '1.2.3.4' });
    expect(seen.body).toBe('127.0.0.1');
  });

  it('behind a trusted proxy, takes the address that proxy appended', async () => {
    const port = await listen(echo, '127.0.0.1');
    const seen = await get(port, {
      'x-forwarded-for': '6.6.6.6, 198.51.100.7',
      [CLIENT_ADDRESS_HEADER]: '1.2.3.4',
    });
    expect(seen.body).toBe('198.51.100.7');
  });

  it('a handler that throws still gets a 500 answer', async () => {
    const port = await listen(() => {
      throw new Error('boom');
    });
    const original = console.error;
    console.error = () => {};
    try {
      expect((await get(port, {})).status).toBe(500);
    } finally {
      console.error = original;
    }
  });

  it('closing finishes the request under way, then stops', async () => {
    let finish: () => void = () => {};
    const started = new Promise<void>((resolveStarted) => {
      void listen(
        (_req, res) =>
          new Promise<void>((resolve) => {
            resolveStarted();
            finish = () => {
              res.end('done');
              resolve();
            };
          }),
      ).then((port) => {
        pending = get(port, {});
      });
    });
    let pending: Promise<{ status: number; body: string }> | undefined;
    await started;
    const running = server as http.Server;
    const closed = closeGracefully(running);
    expect(running.listening).toBe(false);
    finish();
    expect(await pending).toEqual({ status: 200, body: 'done' });
    await closed;
  });
});
