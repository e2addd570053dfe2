import { parseArgs } from 'node:util';
import { createApiKey, isApiKeyScope, listApiKeys, revokeApiKey } from '../../lib/auth/api-keys';
import type { ApiKeyScope } from '../../lib/auth/principal';
import type { Config } from '../../lib/config';
import { HeraldError } from '../../lib/errors';
import { CliError } from './errors';
import { withToolDatabase } from './tool-database';

export const API_KEY_USAGE = `usage: herald api-key <create|list|revoke> [options]

  create --name NAME --scopes publish,read,operate [--channels 'order.*,sms'] [--rate-limit N]
         prints the key once: store it now, Herald keeps only its hash
  list   [--json] [--creator-disabled]
         every key with its scopes, channels, creator, last use and revocation;
         --creator-disabled: only keys created by a person who can no longer sign in
  revoke ID|PREFIX           refused from the next request on: the key's id (42, id:42) or
                             its 8-character prefix (1a2b3c4d, hk_1a2b3c4d), never its name

Scopes: publish (to --channels patterns), read (events, deliveries, payloads),
operate (replay, retry, discard, pause, resume).`;

const who = () => `cli:${process.env.USER ?? 'unknown'}`;

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export async function apiKeyCommand(cfg: Config, argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      name: { type: 'string' },
      scopes: { type: 'string' },
      channels: { type: 'string' },
      'rate-limit': { type: 'string' },
      json: { type: 'boolean' },
      'creator-disabled': { type: 'boolean' },
    },
  });
  const [action, ...rest] = positionals;
  if (values.help) {
    process.stdout.write(`${API_KEY_USAGE}\n`);
    return 0;
  }
  switch (action) {
    case 'create': {
      if (rest.length > 0) throw new CliError(`unexpected argument: ${rest[0]}`);
      if (!values.name) throw new CliError('api-key create: --name is required');
      const scopes = list(values.scopes);
      if (scopes.length === 0)
        throw new CliError('api-key create: --scopes is required (publish, read, operate)');
      const bad = scopes.find((s) => !isApiKeyScope(s));
      if (bad) throw new CliError(`api-key create: unknown scope "${bad}" (publish, read, operate)`);
      const rate =
        values['rate-limit'] === undefined ? cfg.HERALD_API_RATE_LIMIT : Number(values['rate-limit']);
      const channels = list(values.channels);
      return withToolDatabase(cfg, async (db) => {
        try {
          const { key, token } = await createApiKey(db, {
            name: values.name!,
            scopes: scopes as ApiKeyScope[],
            publishChannels: channels,
            rateLimitPerMinute: rate,
            createdBy: who(),
          });
          process.stdout.write(
            values.json
              ? `${JSON.stringify({ ...key, key: token })}\n`
              : `${token}\n` +
                  `created API key "${key.name}" (prefix ${key.prefix}, scopes ${key.scopes.join(',')}` +
                  `${key.publishChannels.length ? `, channels ${key.publishChannels.join(',')}` : ''}, ${key.rateLimitPerMinute}/min)\n` +
                  'store it now: it is not shown again\n',
          );
          return 0;
        } catch (error) {
          if (error instanceof HeraldError)
            throw new CliError(
              `api-key create: ${error.details?.map((d) => `${d.path}: ${d.message}`).join('; ') || error.message}`,
            );
          throw error;
        }
      });
    }
    case 'list':
      if (rest.length > 0) throw new CliError(`unexpected argument: ${rest[0]}`);
      return withToolDatabase(cfg, async (db) => {
        const keys = await listApiKeys(db, values['creator-disabled'] ? { creatorDisabled: true } : {});
        if (values.json) process.stdout.write(`${JSON.stringify(keys)}\n`);
        else if (keys.length === 0)
          process.stdout.write('no API keys (create one with `herald api-key create`)\n');
        else {
          const rows = keys.map((k) => [
            k.name,
            k.prefix,
            k.scopes.join(','),
            k.publishChannels.join(',') || '-',
            `${k.rateLimitPerMinute}/min`,
            `${k.createdBy ?? '-'}${k.creatorDisabled ? ' (disabled)' : ''}`,
            k.lastUsedAt?.toISOString() ?? 'never',
            k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active',
          ]);
          printTable(
            ['ID', 'NAME', 'PREFIX', 'SCOPES', 'CHANNELS', 'LIMIT', 'CREATED BY', 'LAST USED', 'STATUS'],
            rows.map((r, i) => [String(keys[i]!.id), ...r]),
          );
        }
        return 0;
      });
    case 'revoke': {
      const [target, ...more] = rest;
      if (!target)
        throw new CliError('api-key revoke: give the key id or prefix (see `herald api-key list`)');
      if (more.length > 0) throw new CliError(`unexpected argument: ${more[0]}`);
      return withToolDatabase(cfg, async (db) => {
        let revoked: Awaited<ReturnType<typeof revokeApiKey>>;
        try {
          revoked = await revokeApiKey(db, target, who());
        } catch (error) {
          if (error instanceof HeraldError) throw new CliError(`api-key revoke: ${error.message}`);
          throw error;
        }
        process.stdout.write(`revoked API key "${revoked.name}" (prefix ${revoked.prefix})\n`);
        return 0;
      });
    }
    default:
      throw new CliError(
        action
          ? `api-key: unknown action "${action}" (create, list, revoke)`
          : `api-key: give an action\n${API_KEY_USAGE}`,
      );
  }
}

export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows])
    process.stdout.write(
      `${row
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd()}\n`,
    );
}
