import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createWebServer, KEEP_ALIVE_TIMEOUT_MS } from '../scripts/web/http-server';

/**
 * The web server keeps an idle keep-alive connection open past Node's default 5 s, so a client
 * (or a proxy) that sends its next request on it after a pause is not met by a closed socket:
 * the ECONNRESET an e2e publish once got right after a pause of about that length.
 */
let server: http.Server;
let base: string;

beforeAll(async () => {
  server = createWebServer((_req, res) => void res.end('ok'), undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function get(agent: http.Agent): Promise<{ body: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}/`, { agent }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ body, reused: req.reusedSocket }));
    });
    req.on('error', reject);
  });
}

it('keeps an idle connection open beyond Node’s 5 s, for proxies that keep theirs 60 s', async () => {
  expect(KEEP_ALIVE_TIMEOUT_MS).toBeGreaterThan(60_000);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    expect(await get(agent)).toEqual({ body: 'ok', reused: false });
    // Idle past Node's default keep-alive timeout (5 s, and the second of grace Node adds), which
    // would have closed the socket by now.
    await new Promise((resolve) => setTimeout(resolve, 7_000));
    expect(await get(agent)).toEqual({ body: 'ok', reused: true });
  } finally {
    agent.destroy();
  }
}, 15_000);
