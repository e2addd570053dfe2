import { config } from '../config';
import { databaseUrl } from '../db/client';
import { webhookCredentials, webhookUrl } from '../email/config';
import { createLogger } from '../log';
import { startSandbox } from './server';

/**
 * Runs the Postmark sandbox on its own: `tsx lib/sandbox/main.ts`. Posts webhooks to the app
 * at HERALD_APP_URL (default http://127.0.0.1:$PORT) with the configured webhook credentials.
 */
async function main() {
  const cfg = config();
  const log = createLogger('herald-sandbox');
  const credentials = webhookCredentials(cfg);
  const appUrl = cfg.HERALD_APP_URL ?? `http://127.0.0.1:${cfg.PORT}`;
  const sandbox = await startSandbox({
    port: cfg.HERALD_SANDBOX_PORT,
    databaseUrl: databaseUrl(),
    webhookUrl: credentials ? webhookUrl(appUrl, credentials) : undefined,
    serverToken: cfg.HERALD_SANDBOX_TOKEN,
    log,
  });
  const stop = () => void sandbox.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.send?.({ type: 'ready', url: sandbox.url });
}

main().catch((error) => {
  console.error(
    `herald: the Postmark sandbox failed to start: ${error instanceof Error ? error.message : error}`,
  );
  process.exit(1);
});
