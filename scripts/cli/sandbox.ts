import net from 'node:net';
import type { Config } from '../../lib/config';
import { freePort } from '../../lib/embedded/postgres';
import { CliError } from './errors';

/**
 * The port of the local Postmark sandbox the start command runs, or undefined when it runs none:
 * with POSTMARK_SERVER_TOKEN email goes to Postmark, and with only POSTMARK_API_URL to a stand-in
 * of the user's own. A HERALD_SANDBOX_PORT the user chose must be free; the default (4025) gives
 * way to any free port, so that two installations (or the e2e tests' two Heralds) can run side by
 * side — the children learn the port chosen through HERALD_SANDBOX_PORT.
 */
export async function sandboxPort(
  cfg: Config,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number | undefined> {
  if (cfg.POSTMARK_SERVER_TOKEN !== undefined || cfg.POSTMARK_API_URL !== undefined) return undefined;
  if (await isFree(cfg.HERALD_SANDBOX_PORT)) return cfg.HERALD_SANDBOX_PORT;
  if (env.HERALD_SANDBOX_PORT)
    throw new CliError(
      `HERALD_SANDBOX_PORT ${cfg.HERALD_SANDBOX_PORT} is already in use — stop what uses it or choose another`,
    );
  return freePort();
}

/** The sandbox listens on 127.0.0.1 only, so that is where we look. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** `lib/sandbox/main.ts` as a supervised child: it reports `{ type: 'ready' }` over IPC. */
export function sandboxCommand() {
  return { command: process.execPath, args: ['--import', 'tsx', 'lib/sandbox/main.ts'] };
}
