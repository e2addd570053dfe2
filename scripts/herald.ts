import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, parseConfig } from '../lib/config';
import { killAllChildren } from './cli/children';
import { CliError, describeError } from './cli/errors';
import { migrate } from './cli/migrate';
import { start } from './cli/start';
import { TOOLS_USAGE, toolCommands } from './cli/tools';
import { userCommand } from './cli/user';

const USAGE = `usage: herald <command>

  start     PostgreSQL (embedded unless DATABASE_URL), migrations, the dashboard and one worker
  dev       the same with next dev and a worker that reloads on change
  demo      start plus realistic order traffic and a sandbox maintenance window (npm run demo)
  migrate   apply pending migrations and exit
${TOOLS_USAGE}
  user      create a dashboard user: user create --email E --role R (see herald user --help)

Configuration comes from the environment; see README.md.`;

const root = fileURLToPath(new URL('..', import.meta.url));

async function main(): Promise<number> {
  // Tool commands parse their own options (api-key create --name …).
  const tool = Object.hasOwn(toolCommands, process.argv[2] ?? '')
    ? toolCommands[process.argv[2]!]
    : undefined;
  if (tool) {
    process.chdir(root);
    return tool(parseConfig(process.env), process.argv.slice(3));
  }
  // `user` has options of its own, so it parses its arguments itself.
  if (process.argv[2] === 'user') {
    process.chdir(root);
    return userCommand(parseConfig(process.env), process.argv.slice(3));
  }
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h' } },
  });
  const [command, ...extra] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return command || values.help ? 0 : 1;
  }
  if (extra.length > 0) throw new CliError(`unexpected argument: ${extra[0]}`);
  // Children resolve relative paths (worker/main.ts, HERALD_DATA_DIR) from the project folder.
  process.chdir(root);
  const cfg = parseConfig(process.env);
  switch (command) {
    case 'start':
    case 'dev':
      return start(cfg, { root, dev: command === 'dev' });
    case 'demo':
      return start(cfg, { root, dev: false, demo: true });
    case 'migrate':
      await migrate(cfg);
      return 0;
    default:
      throw new CliError(`unknown command "${command}" (try: start, dev, migrate, api-key, replay, stats)`);
  }
}

// Whatever happens to the CLI, no child may outlive it.
process.on('exit', killAllChildren);

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    // Expected failures are one line; anything else is a bug, but still one line by default.
    const known = error instanceof CliError || error instanceof ConfigError;
    process.stderr.write(`herald: ${known ? (error as Error).message : describeError(error)}\n`);
    if (!known && process.env.HERALD_DEBUG) console.error(error);
    process.exit(1);
  },
);
