/**
 * Last-resort cleanup: whatever the suite started (PostgreSQL, workers, proxies) is killed
 * when the process exits, also after a failed assertion or Ctrl-C, so no orphan survives.
 * Normal paths stop things themselves; these hooks only cover the abnormal ones.
 */
const hooks = new Set<() => void>();
let installed = false;

function runAll() {
  for (const hook of hooks) {
    try {
      hook();
    } catch {}
  }
  hooks.clear();
}

export function onExit(hook: () => void): () => void {
  if (!installed) {
    installed = true;
    process.once('exit', runAll);
    // Under vitest the runner owns the signals; afterAll and 'exit' cover us there.
    if (process.env.VITEST === undefined)
      for (const signal of ['SIGINT', 'SIGTERM'] as const)
        process.once(signal, () => {
          runAll();
          process.exit(130);
        });
  }
  hooks.add(hook);
  return () => hooks.delete(hook);
}
