import { parseArgs } from 'node:util';
import type { Config } from '../../lib/config';
import { type DeadFilter, isEmptyFilter } from '../../lib/operations/dead-filter';
import { countDead, replayMatching } from '../../lib/operations/deliveries';
import { parseSince } from './duration';
import { CliError } from './errors';
import { withToolDatabase } from './tool-database';

export const REPLAY_USAGE = `usage: herald replay [filters] [--dry-run] [--reason TEXT]

Moves dead deliveries back to pending (history is kept; each gets a fresh retry budget).

  --subscription NAME   only this subscription's dead deliveries
  --channel NAME        only events of this channel
  --since 2h|ISO        died at or after (30m, 2h, 7d or an ISO time)
  --until 2h|ISO        died before
  --error TEXT          last error contains TEXT (case-insensitive)
  --dry-run             only count what would be replayed
  --reason TEXT         recorded in the audit log

At least one filter other than --until is required (--until alone is everything).`;

export async function replayCommand(cfg: Config, argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      subscription: { type: 'string' },
      channel: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      error: { type: 'string' },
      'dry-run': { type: 'boolean' },
      reason: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(`${REPLAY_USAGE}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new CliError(`unexpected argument: ${positionals[0]}`);
  // Relative windows are frozen once, so the count and the replay see the same window.
  const now = Date.now();
  const filter: DeadFilter = {
    subscription: values.subscription,
    channel: values.channel,
    errorContains: values.error,
    since: values.since ? parseSince(values.since, '--since', now) : undefined,
    until: values.until ? parseSince(values.until, '--until', now) : undefined,
  };
  if (isEmptyFilter(filter))
    throw new CliError(
      'replay: give at least one filter (--subscription, --channel, --since, --error); --until alone is everything',
    );
  return withToolDatabase(cfg, async (db) => {
    if (values['dry-run']) {
      const n = await countDead(db, filter);
      process.stdout.write(`${n} dead deliveries match (dry run: nothing replayed)\n`);
      return 0;
    }
    const result = await replayMatching(db, filter, {
      actor: `cli:${process.env.USER ?? 'unknown'}`,
      reason: values.reason,
    });
    process.stdout.write(
      `replayed ${result.done} of ${result.matched} matching dead deliveries` +
        `${result.skipped ? ` (${result.skipped} changed meanwhile)` : ''}\n`,
    );
    return 0;
  });
}
