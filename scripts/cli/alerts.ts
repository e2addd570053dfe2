import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { alertKindInfo } from '../../lib/alerts/kinds';
import { setAlertRule, testAlertDestination } from '../../lib/alerts/operations';
import { listAlerts, listDestinations, listRules } from '../../lib/alerts/queries';
import { publicUrl } from '../../lib/alerts/settings';
import type { Config } from '../../lib/config';
import { alertKinds } from '../../lib/db/schema';
import { HeraldError } from '../../lib/errors';
import { CliError } from './errors';
import { cliOperator } from './operator';
import { withToolDatabase } from './tool-database';

export const ALERTS_USAGE = `usage: herald alerts list
       herald alerts set KIND [--subscription NAME] [--on | --off] [--window 10m] [--threshold N]
                              [--min-count N] [--repeat 1h] [--reason TEXT]
       herald alerts test DESTINATION [--wait 15s]

  list   firing and recent alerts, the rules and the destinations (no URLs or secrets)
  set    change a rule; without --subscription the one for every subscription
         KIND: ${alertKinds.join(', ')}
         --window     the rule's time span (90s, 10m, 2h or seconds)
         --threshold  failure_rate: percent; dead_growth: count
         --min-count  failure_rate: outcomes needed before the rate counts
         --repeat     resend while firing and unacknowledged (at least 1m)
  test   queue a test alert to the destination (name or id); a running worker sends it.
         Waits up to --wait for the answer and exits 1 if it was not accepted.

Changes are audited as cli:$USER. docs/ALERTS.md explains the rules.`;

/** Whoever runs the CLI holds the database's credentials: an operator, audited as `cli:$USER`. */

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400 };

/** `90`, `90s`, `10m`, `2h`, `1d` as whole seconds. */
export function parseSeconds(value: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(value.trim());
  if (!m) throw new CliError(`${option}: expected seconds or a duration like 90s, 10m, 2h, got "${value}"`);
  return Math.round(Number(m[1]) * (UNITS[m[2] || 's'] ?? 1));
}

function number(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new CliError(`${option}: expected a number, got "${value}"`);
  return n;
}

/** The operation's refusals are one line, like any other CLI error. */
async function refusalsAsCliErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof HeraldError) {
      const field = error.details?.[0];
      throw new CliError(`${error.message}${field ? ` (${field.path}: ${field.message})` : ''}`);
    }
    throw error;
  }
}

export async function alertsCommand(cfg: Config, argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      subscription: { type: 'string' },
      on: { type: 'boolean' },
      off: { type: 'boolean' },
      window: { type: 'string' },
      threshold: { type: 'string' },
      'min-count': { type: 'string' },
      repeat: { type: 'string' },
      reason: { type: 'string' },
      wait: { type: 'string' },
    },
  });
  const [sub, arg, ...extra] = positionals;
  if (values.help || !sub) {
    process.stdout.write(`${ALERTS_USAGE}\n`);
    return values.help ? 0 : 1;
  }
  if (extra.length > 0) throw new CliError(`unexpected argument: ${extra[0]}`);
  const me = cliOperator();
  switch (sub) {
    case 'list':
      if (arg) throw new CliError(`unexpected argument: ${arg}`);
      return withToolDatabase(cfg, async (db) => {
        const [alerts, rules, destinations] = await Promise.all([
          listAlerts(db, { limit: 20 }),
          listRules(db),
          listDestinations(db, me),
        ]);
        const out: string[] = ['ALERTS'];
        if (alerts.length === 0) out.push('  none');
        for (const a of alerts)
          out.push(
            `  #${a.id} ${a.state.padEnd(8)} ${alertKindInfo[a.kind].title}: ${a.subscription} — ${a.summary} (since ${a.since ?? a.startedAt}${a.resolvedAt ? `, resolved ${a.resolvedAt}` : ''}${a.acknowledgedBy ? `, acknowledged by ${a.acknowledgedBy}` : ''})`,
          );
        out.push('', 'RULES (kind, subscription, on, window s, threshold, min count, repeat s)');
        if (rules.length === 0) out.push('  defaults are written when a worker first checks them');
        for (const r of rules)
          out.push(
            `  ${r.kind.padEnd(13)} ${(r.subscription || '*').padEnd(24)} ${r.enabled ? 'on ' : 'off'} ${String(r.windowSeconds).padStart(7)} ${String(r.threshold).padStart(6)} ${String(r.minCount).padStart(6)} ${String(r.repeatSeconds).padStart(7)}`,
          );
        out.push('', 'DESTINATIONS');
        if (destinations.length === 0)
          out.push(
            '  none: set HERALD_ALERT_SLACK_URL / HERALD_ALERT_WEBHOOK_URL or add one in the dashboard',
          );
        for (const d of destinations)
          out.push(
            `  ${d.id} ${d.name} (${d.kind}) last: ${d.lastState ? `${d.lastEvent} ${d.lastState}${d.lastError ? ` — ${d.lastError}` : ''}` : 'none'}; waiting ${d.pending}`,
          );
        process.stdout.write(`${out.join('\n')}\n`);
        return 0;
      });
    case 'set': {
      if (!arg) throw new CliError(`alerts set: which rule? one of ${alertKinds.join(', ')}`);
      if (values.on && values.off) throw new CliError('alerts set: --on or --off, not both');
      const change = {
        kind: arg,
        subscription: values.subscription ?? '',
        enabled: values.on ? true : values.off ? false : undefined,
        windowSeconds: values.window === undefined ? undefined : parseSeconds(values.window, '--window'),
        threshold: number(values.threshold, '--threshold'),
        minCount: number(values['min-count'], '--min-count'),
        repeatSeconds: values.repeat === undefined ? undefined : parseSeconds(values.repeat, '--repeat'),
        reason: values.reason,
      };
      return withToolDatabase(cfg, async (db) => {
        const r = await refusalsAsCliErrors(() => setAlertRule(db, me, change));
        process.stdout.write(
          `rule ${r.kind} for ${r.subscription || 'every subscription'}: ${r.enabled ? 'on' : 'off'}, window ${r.windowSeconds} s, threshold ${r.threshold}, min count ${r.minCount}, repeat ${r.repeatSeconds} s\n`,
        );
        return 0;
      });
    }
    case 'test': {
      if (!arg) throw new CliError('alerts test: which destination (name or id)?');
      const waitMs = parseSeconds(values.wait ?? '15s', '--wait') * 1000;
      return withToolDatabase(cfg, async (db) => {
        const { rows } = await db.execute<{ id: number }>(
          sql`SELECT id::int FROM herald.alert_destinations WHERE name = ${arg} OR id::text = ${arg}`,
        );
        const id = rows[0]?.id;
        if (id === undefined)
          throw new CliError(`no alert destination "${arg}" (herald alerts list shows them)`);
        const queued = await refusalsAsCliErrors(() => testAlertDestination(db, me, id, publicUrl(cfg)));
        process.stdout.write(`test alert queued for ${arg}\n`);
        const deadline = Date.now() + waitMs;
        for (;;) {
          const { rows: m } = await db.execute<{ state: string; lastError: string | null; attempts: number }>(
            sql`SELECT state, last_error AS "lastError", attempts FROM herald.alert_messages WHERE id = ${queued.message}`,
          );
          const row = m[0];
          if (row?.state === 'sent') {
            process.stdout.write('sent: the destination accepted it\n');
            return 0;
          }
          if (row?.state === 'failed' || (row?.lastError && row.attempts > 0)) {
            process.stdout.write(`not accepted: ${row.lastError} (retried with backoff)\n`);
            return 1;
          }
          if (Date.now() >= deadline) {
            process.stdout.write('still waiting: is a worker running? (it sends queued alerts)\n');
            return 1;
          }
          await new Promise((r) => setTimeout(r, 250));
        }
      });
    }
    default:
      throw new CliError(`alerts: unknown command "${sub}" (list, set or test)`);
  }
}
