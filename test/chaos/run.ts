import { closeApp } from './app';
import { writeReliability } from './report';
import { chaosScale } from './scale';
import { scenarios } from './scenarios';
import { startChaosServer } from './server';
import { type ScenarioResult, summary } from './stage';

/**
 * `npm run chaos`: every scenario in its full form (CHAOS_SCALE=full, the default here), one
 * after another on one embedded PostgreSQL; writes docs/RELIABILITY.md after a full run.
 * `npm run chaos -- worker-crash db-restart` runs only those (and writes nothing).
 */
async function main() {
  process.env.CHAOS_SCALE ??= 'full';
  process.env.LOG_LEVEL ??= 'warn';
  const scale = chaosScale();
  const only = process.argv.slice(2);
  const names = only.length > 0 ? only : Object.keys(scenarios);
  const unknown = names.filter((n) => !(n in scenarios));
  if (unknown.length > 0) throw new Error(`unknown scenario(s): ${unknown.join(', ')}`);
  const started = Date.now();
  const server = await startChaosServer();
  const results: ScenarioResult[] = [];
  try {
    for (const name of names) {
      console.log(`— ${name} (${scale})`);
      const result = await scenarios[name]!(server, scale);
      results.push(result);
      console.log(summary(result));
    }
  } finally {
    await closeApp();
    await server.stop();
  }
  const totalMs = Date.now() - started;
  if (only.length === 0 && scale === 'full') writeReliability(results, totalMs);
  const failed = results.filter((r) => r.problems.length > 0);
  console.log(
    `${results.length - failed.length}/${results.length} scenarios passed in ${(totalMs / 1000).toFixed(0)} s`,
  );
  process.exit(failed.length > 0 ? 1 : 0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
