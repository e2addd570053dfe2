import { createRequire } from 'node:module';
import path from 'node:path';
import { setupLinkNotice } from '../../lib/auth/setup-link-file';
import type { Config } from '../../lib/config';
import { migrateDatabase } from '../../lib/db/migrate';
import { staleBuildReason } from './build';
import { Child, type Exit } from './children';
import { type Database, openDatabase } from './database';
import { CliError, describeError } from './errors';
import { waitForHealth } from './health';
import { assertPortFree } from './port';
import { sandboxCommand, sandboxPort } from './sandbox';
import { onStopSignal } from './signals';

const require = createRequire(import.meta.url);

export interface StartOptions {
  root: string;
  /** `next dev` and a worker under `tsx watch` instead of the production build. */
  dev: boolean;
  /** `herald demo`: once Herald is ready, also run the order-traffic generator (scripts/demo.ts). */
  demo?: boolean;
}

type Stop = { kind: 'signal'; signal: NodeJS.Signals } | { kind: 'exit'; child: Child; exit: Exit };

const say = (line: string) => process.stdout.write(`[herald] ${line}\n`);

/**
 * `npm start`: PostgreSQL (embedded unless DATABASE_URL), migrations, the production build when
 * stale, then `next start` and one worker. Resolves with the exit code: 0 after a stop signal,
 * 1 when a child died on its own. Everything started is stopped before it resolves.
 */
export async function start(cfg: Config, options: StartOptions): Promise<number> {
  await assertPortFree(cfg.PORT);
  const emailSandboxPort = await sandboxPort(cfg);
  if (options.demo && emailSandboxPort === undefined)
    throw new CliError(
      'the demo sends email to the local sandbox only: unset POSTMARK_SERVER_TOKEN and POSTMARK_API_URL',
    );
  const signals = onStopSignal();
  const stopped = signals.received.then((signal): Stop => ({ kind: 'signal', signal }));
  const children: Child[] = [];
  // The first child to exit — expected only once we stop them ourselves.
  const childExit = () =>
    Promise.race(children.map((child) => child.exited.then((exit): Stop => ({ kind: 'exit', child, exit }))));

  const db = await openDatabase(cfg);
  let code = 1;
  try {
    say(`database: ${db.description}`);
    if (signals.current()) return 0;
    await migrateDatabase(db.url).catch((error) => {
      throw new CliError(`migrations failed: ${describeError(error)}`);
    });
    if (signals.current()) return 0;
    if (!options.dev && !(await build(options.root, stopped))) return 0;

    const env = {
      ...process.env,
      DATABASE_URL: db.url,
      PORT: String(cfg.PORT),
      ...(emailSandboxPort === undefined ? {} : { HERALD_SANDBOX_PORT: String(emailSandboxPort) }),
    };
    // Before the worker, so that the first email finds it; stopped with the others.
    const sandbox =
      emailSandboxPort === undefined
        ? undefined
        : new Child({ name: 'sandbox', ...sandboxCommand(), env, cwd: options.root, ipc: true });
    if (sandbox) children.push(sandbox);
    const web = new Child({ name: 'web', ...webCommand(cfg.PORT, options.dev), env, cwd: options.root });
    const worker = new Child({
      name: 'worker',
      ...workerCommand(options.dev),
      env,
      cwd: options.root,
      ipc: true,
    });
    children.push(web, worker);
    say(
      `web pid ${web.pid}, worker pid ${worker.pid}${db.embeddedPid ? `, postgres pid ${db.embeddedPid}` : ''}`,
    );

    if (sandbox)
      say(`email: Postmark sandbox at http://127.0.0.1:${emailSandboxPort} (no POSTMARK_SERVER_TOKEN)`);

    let abandoned = false;
    const ready = Promise.all([
      options.dev ? undefined : worker.message('ready'),
      sandbox?.message('ready'),
      waitForHealth(cfg.PORT, () => abandoned, options.dev ? 300_000 : 120_000),
    ]).then(() => undefined);
    const early = await Promise.race([ready, stopped, childExit()]);
    abandoned = true;
    if (!early) say(`Herald is running at http://localhost:${cfg.PORT} — Ctrl-C stops it`);
    // In production the web process keeps the first-run setup link out of its output (a log, as
    // far as it can tell): show it here when a person is watching this terminal.
    if (!early && !options.dev && process.stdout.isTTY) {
      const notice = setupLinkNotice(path.resolve(options.root, cfg.HERALD_DATA_DIR));
      if (notice) process.stdout.write(notice);
    }
    if (!early && options.demo)
      children.push(new Child({ name: 'demo', ...demoCommand(), env, cwd: options.root }));

    const why = early ?? (await Promise.race([stopped, childExit()]));
    if (why.kind === 'exit') {
      const { exit, child } = why;
      process.stderr.write(
        `herald: ${child.options.name} exited unexpectedly (${exit.signal ?? `code ${exit.code}`})\n`,
      );
    }
    code = why.kind === 'signal' ? 0 : 1;
    return code;
  } finally {
    await stopAll(children, cfg.HERALD_SHUTDOWN_TIMEOUT_MS + 5_000, db);
  }
}

/** Runs `next build` when `.next` is missing or older than the sources; false if interrupted. */
async function build(root: string, stopped: Promise<Stop>): Promise<boolean> {
  const reason = staleBuildReason(root);
  if (!reason) return true;
  say(`building the dashboard (${reason}); this takes a minute or two…`);
  const child = new Child({ name: 'build', ...nextCommand(['build']), env: process.env, cwd: root });
  const outcome = await Promise.race([child.exited, stopped]);
  if ('kind' in outcome) {
    await child.stop(5_000);
    return false;
  }
  if (outcome.code !== 0)
    throw new CliError(`next build failed (${outcome.signal ?? `code ${outcome.code}`})`);
  return true;
}

async function stopAll(children: Child[], graceMs: number, db: Database) {
  await Promise.all(children.map((child) => child.stop(graceMs)));
  // Last: the worker and the web server may still be writing while they shut down.
  await db.stop();
}

function nextCommand(args: string[]) {
  return { command: process.execPath, args: [require.resolve('next/dist/bin/next'), ...args] };
}

/**
 * Herald's own server around Next (scripts/web/server.ts) rather than `next start` / `next dev`:
 * it takes the client's address from the connection, which Next's CLI servers leave to whatever
 * X-Forwarded-For the client sent.
 */
function webCommand(port: number, dev: boolean) {
  return {
    command: process.execPath,
    args: ['--import', 'tsx', 'scripts/web/server.ts', '--port', String(port), ...(dev ? ['--dev'] : [])],
  };
}

function demoCommand() {
  return { command: process.execPath, args: ['--import', 'tsx', 'scripts/demo.ts'] };
}

function workerCommand(dev: boolean) {
  return dev
    ? { command: process.execPath, args: [require.resolve('tsx/cli'), 'watch', 'worker/main.ts'] }
    : { command: process.execPath, args: ['--import', 'tsx', 'worker/main.ts'] };
}
