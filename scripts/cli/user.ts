import { parseArgs } from 'node:util';
import { ZodError } from 'zod';
import { roles } from '../../lib/auth/principal';
import { createUser, generatePassword } from '../../lib/auth/users';
import type { Config } from '../../lib/config';
import { createDb, createPool } from '../../lib/db/client';
import { migrateDatabase } from '../../lib/db/migrate';
import { HeraldError } from '../../lib/errors';
import { openDatabase } from './database';
import { CliError } from './errors';

export const USER_USAGE = `usage: herald user create --email E --role ${roles.join('|')} [--name N]

The password is read from standard input when it is not a terminal
(echo "$PASSWORD" | herald user create …); otherwise one is generated and printed once.`;

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** `herald user create`: for scripted set-ups, and for a way back in when every admin is locked out. */
export async function userCommand(cfg: Config, args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      email: { type: 'string' },
      role: { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USER_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1 || positionals[0] !== 'create' || !values.email || !values.role) {
    throw new CliError(USER_USAGE.split('\n')[0]!);
  }
  const role = roles.find((r) => r === values.role);
  if (!role) throw new CliError(`--role must be one of ${roles.join(', ')}`);
  const given = await readStdin();
  const password = given || generatePassword();
  const database = await openDatabase(cfg);
  const pool = createPool(database.url, { max: 2, applicationName: 'herald-cli' });
  try {
    await migrateDatabase(database.url);
    const user = await createUser(
      createDb(pool),
      { email: values.email, role, password, name: values.name },
      'cli',
    );
    process.stdout.write(`[herald] created ${user.role} ${user.email}\n`);
    if (!given) process.stdout.write(`[herald] password (shown only now): ${password}\n`);
    return 0;
  } catch (error) {
    if (error instanceof ZodError)
      throw new CliError(error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; '));
    if (error instanceof HeraldError) throw new CliError(error.message);
    throw error;
  } finally {
    await pool.end();
    await database.stop();
  }
}
