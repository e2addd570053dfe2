import net from 'node:net';
import { CliError } from './errors';

/**
 * Fails before anything starts when PORT is taken, so the user does not wait for PostgreSQL,
 * migrations and a build only to see Next.js die with EADDRINUSE. We listen the way `next start`
 * does (all interfaces), which also collides with a server bound to 127.0.0.1 only.
 */
export function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'EADDRINUSE' ? 'is already in use' : `cannot be used (${error.code})`;
      reject(new CliError(`port ${port} ${why} — stop what uses it or set PORT to another port`));
    });
    server.listen({ port, exclusive: true }, () => server.close(() => resolve()));
  });
}
