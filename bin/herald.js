#!/usr/bin/env node
// The `herald` command (`npx herald …`): runs scripts/herald.ts through tsx, so the CLI needs no
// build step. Exit code and signals pass through unchanged.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const script = fileURLToPath(new URL('../scripts/herald.ts', import.meta.url));
const tsx = require.resolve('tsx');
const result = spawnSync(process.execPath, ['--import', tsx, script, ...process.argv.slice(2)], {
  stdio: 'inherit',
});
if (result.error) {
  process.stderr.write(`herald: ${result.error.message}\n`);
  process.exit(1);
}
if (result.signal) process.kill(process.pid, result.signal);
process.exit(result.status ?? 1);
