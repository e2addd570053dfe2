import { startBaselineServer } from './baseline';

/**
 * The benchmark's baseline server as a process of its own (bench/baseline.ts), started by
 * bench/api.ts: `node --import tsx bench/baseline-main.ts` with DATABASE_URL set. Reports
 * `{ type: 'ready', url }` over IPC (and prints the URL), stops on SIGTERM or when its parent goes.
 */
async function main() {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL is not set');
  const server = await startBaselineServer({ databaseUrl, port: Number(process.env.BASELINE_PORT ?? 0) });
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop);
  if (process.send) process.send({ type: 'ready', url: server.url });
  else console.log(server.url);
}

main().catch((error: unknown) => {
  console.error(`bench baseline: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
