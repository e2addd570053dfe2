import { parseArgs } from 'node:util';
import type { Config } from '../../lib/config';
import { HeraldError } from '../../lib/errors';
import { setSubscriptionTuning } from '../../lib/operations/tuning';
import { CONCURRENCY_MAX } from '../../lib/subscriptions/limits';
import { CliError } from './errors';
import { cliOperator } from './operator';
import { withToolDatabase } from './tool-database';

export const SUBSCRIPTION_USAGE = `usage: herald subscription set NAME [--concurrency N|default] [--rate R|none|default] [--reason TEXT]

Changes a subscription's tuning without a deploy; running workers apply it within seconds.

  --concurrency N   handlers at once per worker process (1–${CONCURRENCY_MAX}); "default": as declared in code
  --rate R          sends per second across all workers together (e.g. 50); "none": no limit;
                    "default": as declared (HERALD_EMAIL_RATE_PER_SECOND for email)
  --reason TEXT     recorded in the audit log`;

/**
 * Whoever runs the CLI already holds the database's credentials: an operator, audited as
 * `cli:$USER`. The checks are the operation's own (lib/operations/tuning.ts).
 */

function concurrencyOf(text: string | undefined): number | null | undefined {
  if (text === undefined) return undefined;
  if (text === 'default') return null;
  if (!/^\d+$/.test(text)) throw new CliError(`--concurrency: a whole number or "default", not "${text}"`);
  return Number(text);
}

function rateOf(text: string | undefined): number | null | undefined {
  if (text === undefined) return undefined;
  if (text === 'default') return null;
  if (text === 'none') return 0;
  const rate = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(rate > 0))
    throw new CliError(`--rate: sends per second above 0, "none" or "default", not "${text}"`);
  return rate;
}

export async function subscriptionCommand(cfg: Config, argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      concurrency: { type: 'string' },
      rate: { type: 'string' },
      reason: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(`${SUBSCRIPTION_USAGE}\n`);
    return 0;
  }
  const [action, name, extra] = positionals;
  if (action !== 'set' || !name || extra !== undefined) throw new CliError(SUBSCRIPTION_USAGE);
  const request = {
    name,
    concurrency: concurrencyOf(values.concurrency),
    ratePerSecond: rateOf(values.rate),
    reason: values.reason,
  };
  if (request.concurrency === undefined && request.ratePerSecond === undefined)
    throw new CliError('subscription set: give --concurrency, --rate or both');
  return withToolDatabase(cfg, async (db) => {
    try {
      const t = await setSubscriptionTuning(db, cliOperator(), request);
      const rate =
        t.ratePerSecond === null ? 'no rate limit' : `at most ${t.ratePerSecond}/s across all workers`;
      process.stdout.write(
        `${t.name}: concurrency ${t.concurrency} per worker, ${rate}` +
          `${t.changed ? '' : ' (unchanged)'}\n`,
      );
      return 0;
    } catch (error) {
      if (error instanceof HeraldError) throw new CliError(error.message);
      throw error;
    }
  });
}
