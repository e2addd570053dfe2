import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';

/** `herald start` as a user runs it, with its output kept for assertions. */
export class HeraldProcess {
  readonly child: ChildProcess;
  output = '';
  private readonly exit: Promise<number | null>;

  constructor(env: Record<string, string>) {
    const merged: NodeJS.ProcessEnv = { ...process.env, ...env };
    if (!env.DATABASE_URL) delete merged.DATABASE_URL;
    this.child = spawn(process.execPath, ['--import', 'tsx', 'scripts/herald.ts', 'start'], {
      env: merged,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (c) => (this.output += c));
    this.child.stderr?.on('data', (c) => (this.output += c));
    this.exit = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** Resolves with the first match of `pattern` in the output; fails if Herald exits first. */
  waitForOutput(pattern: RegExp): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = this.output.match(pattern);
        if (!match) return;
        this.child.stdout?.off('data', check);
        this.child.stderr?.off('data', check);
        resolve(match);
      };
      this.child.stdout?.on('data', check);
      this.child.stderr?.on('data', check);
      void this.exit.then((code) =>
        reject(new Error(`herald exited (${code}) before ${pattern}:\n${this.output}`)),
      );
      check();
    });
  }

  async stop(signal: NodeJS.Signals): Promise<number | null> {
    this.child.kill(signal);
    return this.exit;
  }
}

/**
 * Processes (pid and command name) whose environment carries `HERALD_TEST_TAG=<tag>`. Every
 * process Herald starts inherits its environment — PostgreSQL included — so this finds
 * leftovers even after they were re-parented to init. Linux only (reads /proc).
 */
export function taggedProcesses(tag: string): { pid: number; command: string }[] {
  const found: { pid: number; command: string }[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = fs.readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (!environ.includes(`HERALD_TEST_TAG=${tag}`)) continue;
      found.push({ pid: Number(entry), command: fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() });
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return found;
}
