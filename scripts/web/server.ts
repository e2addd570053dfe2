import { trustedProxies } from '../../lib/auth/config';
import { closeGracefully, createWebServer } from './http-server';

/**
 * Herald's web process (`herald start` / `herald dev` run it instead of `next start` / `next
 * dev`): Next's documented custom-server API behind our own HTTP server, so that the client's
 * address comes from the connection (scripts/web/http-server.ts). Otherwise as `next start -p
 * PORT`: every interface, Node's keep-alive, and on SIGTERM/SIGINT no new connections, the
 * requests under way finished, Next closed, exit 143/130.
 *
 *   node --import tsx scripts/web/server.ts [--port 3000] [--dev]
 */
const dev = process.argv.includes('--dev');
const portArg = process.argv.indexOf('--port');
const port = Number((portArg > 0 ? process.argv[portArg + 1] : process.env.PORT) || 3000);
// Before Next loads, as its CLI does: it picks React's production or development build by it.
Object.assign(process.env, { NODE_ENV: dev ? 'development' : process.env.NODE_ENV || 'production' });
// What `next start` calls itself; tools that look for the web process by name still find it.
process.title = `next-server (herald${dev ? ' dev' : ''})`;

const trusted = trustedProxies(process.env);
const { default: next } = await import('next');
const app = next({ dev, dir: process.cwd(), port });
const server = createWebServer(app.getRequestHandler(), trusted);
// WebSocket upgrades (dev's hot reload) need nothing here: Next's handler subscribes to this
// server's 'upgrade' event itself on the first request.

let stopping = false;
for (const [signal, code] of [
  ['SIGTERM', 143],
  ['SIGINT', 130],
] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void closeGracefully(server)
      .then(() => app.close())
      .catch((error) => console.error(error))
      .finally(() => process.exit(code));
  });
}

await app.prepare();
// A stop signal during prepare() already closed the server: do not start listening after it.
if (!stopping)
  server.listen(port, () => console.log(`web server ready on port ${port}${dev ? ' (dev)' : ''}`));
