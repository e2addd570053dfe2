import { spawn } from 'node:child_process';
import { isolate } from './support/isolated';

/**
 * Playwright's webServer: the real `herald start` (production build, worker, migrations) on a
 * database of its own, dropped again when Playwright stops the server with SIGINT.
 */
const isolated = await isolate('server');
const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/herald.ts', 'start'], {
  env: { ...process.env, ...isolated.env },
  stdio: 'inherit',
});
// Playwright signals the whole process group; when only we are signalled, pass it on.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', async (code, signal) => {
  await isolated.cleanup().catch((error: Error) => console.error(`e2e server cleanup: ${error.message}`));
  process.exit(code ?? (signal ? 1 : 0));
});
