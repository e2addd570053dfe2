import fs from 'node:fs';

/**
 * The database of the Herald that Playwright's webServer (e2e/server.ts) started for this run.
 * Its worker gets DATABASE_URL in its environment — the isolated database on DATABASE_URL's
 * server, or the embedded PostgreSQL's URL — so we read it there: the worker below our runner
 * (our parent) but not below this test process, never another run's. Linux only (reads /proc),
 * like e2e/support/herald-process.ts. (e2e/operator-flow.spec.ts has the same lookup inline.)
 */
export function e2eDatabaseUrl(): string {
  const parentOf = (pid: number): number => {
    // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may contain spaces, so split after ')'.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  };
  const startedByRunner = (pid: number): boolean => {
    for (let p = pid; p > 1; p = parentOf(p)) {
      if (p === process.pid) return false;
      if (p === process.ppid) return true;
    }
    return false;
  };
  for (const entry of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmdline.includes('worker/main.ts') || !startedByRunner(Number(entry))) continue;
      const env = fs.readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      const url = env.find((v) => v.startsWith('DATABASE_URL='))?.slice('DATABASE_URL='.length);
      if (url) return url;
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  throw new Error(`no Herald worker started by the Playwright runner (pid ${process.ppid})`);
}
