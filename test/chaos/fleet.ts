import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';
import { onExit } from './cleanup';

/**
 * The worker processes of one scenario: started with the chaos subscriptions, and all of them
 * gone when the scenario ends (thawed first, so a frozen one can die).
 */
export class Fleet {
  readonly all: WorkerProcess[] = [];
  private readonly unregister: () => void;

  constructor(
    private readonly databaseUrl: string,
    private readonly env: Record<string, string>,
    /** The worker's entry file (worker/main.ts unless a scenario runs a variant). */
    private readonly entry?: string,
  ) {
    this.unregister = onExit(() => {
      for (const w of this.all) {
        w.child.kill('SIGCONT');
        w.child.kill('SIGKILL');
      }
    });
  }

  async start(env: Record<string, string> = {}): Promise<WorkerProcess> {
    const w = await startWorkerProcess(
      this.databaseUrl,
      {
        HERALD_SUBSCRIPTIONS: 'test/chaos/fixtures/subscriptions.ts',
        ...this.env,
        ...env,
      },
      this.entry,
    );
    this.all.push(w);
    return w;
  }

  live(): WorkerProcess[] {
    return this.all.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
  }

  /** Total log lines matching `text` across every worker this scenario started. */
  count(text: string): number {
    return this.all.reduce((n, w) => n + w.output().split(text).length - 1, 0);
  }

  /** Graceful stop (SIGTERM, bounded), then SIGKILL for any that hang. */
  async stopAll(): Promise<void> {
    await Promise.all(
      this.live().map(async (w) => {
        w.child.kill('SIGCONT');
        const killer = setTimeout(() => w.child.kill('SIGKILL'), 20_000);
        await w.stop();
        clearTimeout(killer);
      }),
    );
    this.unregister();
  }
}
