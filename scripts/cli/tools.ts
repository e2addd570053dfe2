import type { Config } from '../../lib/config';
import { alertsCommand } from './alerts';
import { apiKeyCommand } from './api-key';
import { replayCommand } from './replay';
import { statsCommand } from './stats';
import { subscriptionCommand } from './subscription';

/** The operator commands of issue 4; each parses its own options (`herald <command> --help`). */
export const toolCommands: Record<string, (cfg: Config, argv: string[]) => Promise<number>> = {
  alerts: alertsCommand,
  'api-key': apiKeyCommand,
  replay: replayCommand,
  stats: statsCommand,
  subscription: subscriptionCommand,
};

export const TOOLS_USAGE = `  alerts    list alerts, rules and destinations; set a rule; send a test alert (herald alerts --help)
  api-key   create, list or revoke API keys for the HTTP API
  replay    replay dead deliveries by subscription, channel, time or error (--dry-run counts)
  stats     deliveries per subscription and state, recent publish rates
  subscription set NAME --concurrency N --rate R   tune a subscription without a deploy`;
