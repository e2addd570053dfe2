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
 * that runs worker/run.ts with options of its own (the chaos suite's bite test).
 */
export async function startWorkerProcess(
  databaseUrl: string,
  env: Record<string, string> = {},
  entry = 'worker/main.ts',
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
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
