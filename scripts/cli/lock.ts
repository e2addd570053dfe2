import fs from 'node:fs';
import path from 'node:path';
import { CliError } from './errors';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** After a reboot the pid may belong to something else: on Linux, check it really is a Herald CLI. */
function isHerald(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('herald');
  } catch {
    return !fs.existsSync('/proc'); // no procfs (macOS): trust the pid
  }
}

/**
 * One Herald per data folder. The embedded launcher stops a PostgreSQL that an earlier, killed
 * run left behind; without this lock a second `npm start` or `npm run db:migrate` would take
 * that for a leftover and stop the database under a running Herald.
 */
export function lockDataDir(dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'herald.pid');
  const other = Number.parseInt(fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '', 10);
  if (other && other !== process.pid && alive(other) && isHerald(other)) {
    throw new CliError(`another Herald (pid ${other}) is using ${dir} — stop it first`);
  }
  fs.writeFileSync(file, String(process.pid));
  return () => {
    try {
      if (fs.readFileSync(file, 'utf8') === String(process.pid)) fs.rmSync(file);
    } catch {
      // already gone
    }
  };
}
