import { parseArgs } from 'node:util';
import type { Config } from '../../lib/config';
import { publishRates, subscriptionStats } from '../../lib/queries/stats';
import { printTable } from './api-key';
import { CliError } from './errors';
import { withToolDatabase } from './tool-database';

export const STATS_USAGE = `usage: herald stats [--json]

Deliveries per subscription and state, the oldest waiting delivery, and events published
in the last minute and hour.`;

export async function statsCommand(cfg: Config, argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' } },
  });
  if (values.help) {
    process.stdout.write(`${STATS_USAGE}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new CliError(`unexpected argument: ${positionals[0]}`);
  return withToolDatabase(cfg, async (db) => {
    const [subscriptions, events] = await Promise.all([subscriptionStats(db), publishRates(db)]);
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ events, subscriptions })}\n`);
      return 0;
    }
    process.stdout.write(
      `events published: ${events.lastMinute} in the last minute, ${events.lastHour} in the last hour\n\n`,
    );
    if (subscriptions.length === 0)
      process.stdout.write('no subscriptions yet (workers sync them at start)\n');
    else
      printTable(
        ['SUBSCRIPTION', 'STATE', 'PENDING', 'RUNNING', 'DEAD', 'SUCCEEDED', 'OLDEST WAITING'],
        subscriptions.map((s) => [
          s.subscription,
          s.paused ? 'paused' : 'active',
          String(s.pending),
          String(s.running),
          String(s.dead),
          String(s.succeeded),
          s.oldestPendingSeconds === null ? '-' : `${Math.round(s.oldestPendingSeconds)} s`,
        ]),
      );
    return 0;
  });
}
