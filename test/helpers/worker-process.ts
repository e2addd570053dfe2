import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  id: string;
  output: () => string;
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<number | null>;
  exited: Promise<number | null>;
}

/**
 * Starts a real worker process running the test subscriptions: worker/main.ts, or another entry
 * that runs worker/run.ts with options of its own (the chaos suite's bite test). `launcher`
 * prefixes the command (`ip netns exec <ns>`: a worker on another host, test/helpers/netns.ts);
 * it must exec node in its place, so the pid, the signals and the IPC channel stay the worker's.
 */
export async function startWorkerProcess(
  databaseUrl: string,
  env: Record<string, string> = {},
  entry = 'worker/main.ts',
  launcher: readonly string[] = [],
): Promise<WorkerProcess> {
  const [command, ...args] = [...launcher, process.execPath, '--import', 'tsx', entry];
  const child = spawn(command!, args, {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      HERALD_SUBSCRIPTIONS: 'test/fixtures/subscriptions.ts',
      LOG_LEVEL: process.env.TEST_WORKER_LOG_LEVEL ?? 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  child.stdout?.on('data', (c) => (output += c));
  child.stderr?.on('data', (c) => (output += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const id = await new Promise<string>((resolve, reject) => {
    child.on(
      'message',
      (m: { type?: string; worker?: string }) => m.type === 'ready' && resolve(m.worker ?? ''),
    );
    exited.then((code) => reject(new Error(`worker exited (${code}) before it was ready: ${output}`)));
  });
  return {
    child,
    pid: child.pid!,
    id,
    output: () => output,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
