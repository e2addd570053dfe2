const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Turns the first Ctrl-C / SIGTERM / SIGHUP into a promise the start sequence can race against.
 * Repeats are ignored on purpose: `npm start` relays the terminal's SIGINT, so one Ctrl-C may
 * arrive twice, and a second one must not cut the orderly shutdown short (the stop deadline
 * already ends it with SIGKILL).
 */
export function onStopSignal(): { received: Promise<NodeJS.Signals>; current(): NodeJS.Signals | undefined } {
  let current: NodeJS.Signals | undefined;
  const received = new Promise<NodeJS.Signals>((resolve) => {
    for (const signal of SIGNALS) {
      process.on(signal, () => {
        if (current) return;
        current = signal;
        process.stdout.write(`\n[herald] ${signal}: stopping…\n`);
        resolve(signal);
      });
    }
  });
  return { received, current: () => current };
}
