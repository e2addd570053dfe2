import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ChildOptions {
  /** Prefix of every output line, e.g. `web` → `[web] …`. */
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Open an IPC channel (the worker reports `{ type: 'ready' }` over it). */
  ipc?: boolean;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const live = new Set<Child>();

/**
 * A supervised child process. It runs in its own process group (`detached`), so that only we
 * decide when and how it stops — a Ctrl-C in the terminal reaches the CLI, which then stops the
 * children in order — and so that signalling the group also reaches anything the child spawned.
 */
export class Child {
  readonly process: ChildProcess;
  readonly exited: Promise<Exit>;
  private done = false;

  constructor(readonly options: ChildOptions) {
    this.process = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', ...(options.ipc ? (['ipc'] as const) : [])],
    });
    live.add(this);
    this.exited = new Promise((resolve) => {
      this.process.once('error', () => {
        this.done = true;
        live.delete(this);
        resolve({ code: 127, signal: null });
      });
      this.process.once('exit', (code, signal) => {
        this.done = true;
        live.delete(this);
        resolve({ code, signal });
      });
    });
    this.prefix(this.process.stdout, process.stdout);
    this.prefix(this.process.stderr, process.stderr);
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get running(): boolean {
    return !this.done;
  }

  /** Resolves when the child sends `{ type }` over IPC; rejects if it exits first. */
  message(type: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: unknown) => {
        if (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type) {
          this.process.off('message', onMessage);
          resolve();
        }
      };
      this.process.on('message', onMessage);
      void this.exited.then(({ code, signal }) =>
        reject(new Error(`${this.options.name} exited (${signal ?? code}) before it was ready`)),
      );
    });
  }

  /** SIGTERM to the group, then SIGKILL for whatever is left after `graceMs`. */
  async stop(graceMs: number): Promise<Exit> {
    this.signal('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((r) => {
      timer = setTimeout(() => r('late'), graceMs);
    });
    const outcome = await Promise.race([this.exited, deadline]);
    clearTimeout(timer);
    if (outcome === 'late')
      process.stderr.write(`[herald] ${this.options.name} did not stop in time: killing it\n`);
    // Also sweeps grandchildren that outlived the group leader.
    this.signal('SIGKILL');
    return this.exited;
  }

  signal(signal: NodeJS.Signals) {
    if (!this.process.pid) return;
    try {
      process.kill(-this.process.pid, signal);
    } catch {
      // the group is already gone
    }
  }

  private prefix(from: NodeJS.ReadableStream | null, to: NodeJS.WritableStream) {
    if (!from) return;
    createInterface({ input: from, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) =>
      to.write(`[${this.options.name}] ${line}\n`),
    );
  }
}

/** Last resort when the CLI itself exits abnormally: never leave a child running on its own. */
export function killAllChildren() {
  for (const child of live) child.signal('SIGKILL');
}
