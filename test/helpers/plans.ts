import pg from 'pg';
import type { TestDatabase } from './db';

/**
 * A connection that gets the plan of every statement it runs, nested ones included (the
 * statements inside Herald's SQL functions, and the foreign-key checks their writes fire), from
 * auto_explain, sent back to this client as notices. Nothing is collected until `record()`.
 */
export async function explainingClient(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const plans: string[] = [];
  client.on('notice', (n) => {
    if (n.message?.includes('Query Text:')) plans.push(n.message);
  });
  await client.query("LOAD 'auto_explain'");
  await client.query('SET auto_explain.log_nested_statements = on');
  await client.query('SET client_min_messages = log');
  return {
    client,
    /** From now on, every statement's plan. */
    async record() {
      await client.query('SET auto_explain.log_min_duration = 0');
    },
    /** The plans recorded so far. */
    async plans(): Promise<string[]> {
      // Notices arrive before the answer of the statement that raised them; one more round
      // trip makes sure the last ones are in.
      await client.query('SELECT 1');
      return plans;
    },
    end: () => client.end(),
  };
}

/** The start of each plan that reads a whole hot table or hashes one. */
export function wholeTableReads(plans: string[]): string[] {
  return plans
    .filter((p) => /Seq Scan on (deliveries|events|attempts|email_events)\b|Hash Join/.test(p))
    .map((p) => {
      const at = p.indexOf('Query Text:');
      const scan = p.match(/(Seq Scan on \w+|Hash Join)/)?.[0];
      return `${scan}: ${p.slice(at, at + 200).replace(/\s+/g, ' ')}`;
    });
}

/** `events` events on `channel`, published with plain SQL (herald.publish, the statement trigger's fan-out). */
export async function publishWithSql(t: TestDatabase, channel: string, events: number): Promise<void> {
  await t.query(`SELECT herald.publish($1, jsonb_build_object('n', i)) FROM generate_series(1, $2) i`, [
    channel,
    events,
  ]);
}

/** A subscription to `channel` and a backlog of `events` deliveries for it, never analysed. */
export async function subscriptionWithBacklog(
  t: TestDatabase,
  subscription: string,
  channel: string,
  events: number,
): Promise<void> {
  await t.query('INSERT INTO herald.subscriptions (name, channel_pattern) VALUES ($1, $2)', [
    subscription,
    channel,
  ]);
  await publishWithSql(t, channel, events);
}
