import { sql } from 'drizzle-orm';
import type { Pool } from 'pg';
import type { Executor } from './client';

/**
 * The pg connection or pool behind an executor: the database's pool, or the connection a Drizzle
 * transaction holds. Drizzle keeps the latter in a field it does not publish (`session.client`);
 * test/publish.test.ts checks that it is still there, so an upgrade that moves it fails a test
 * instead of quietly making every publish parse and plan its statement again.
 */
function connectionOf(tx: Executor): Pick<Pool, 'query'> | undefined {
  if ('$client' in tx) return tx.$client as Pool;
  const client = (tx as unknown as { session?: { client?: Pick<Pool, 'query'> } }).session?.client;
  return typeof client?.query === 'function' ? client : undefined;
}

/**
 * A statement under a fixed name, so each connection parses and plans it once rather than on
 * every call. Runs on the executor's own connection, inside the caller's transaction if there is
 * one (bench:publish, 32 publishers each in its own Drizzle transaction: 3,500 transactions/s
 * when only pool-level calls were named, 4,500 with this); through Drizzle only when no
 * connection can be found.
 */
export async function runNamed<T extends Record<string, unknown>>(
  tx: Executor,
  name: string,
  text: string,
  values: unknown[],
): Promise<T[]> {
  const connection = connectionOf(tx);
  if (connection) return (await connection.query<T>({ name, text, values })).rows;
  const params = values.map((v) => sql`${v}`);
  // $1…$n become Drizzle parameters: the texts above number them in order of appearance.
  const chunks = text.split(/\$\d+/);
  const query = sql.join(
    chunks.flatMap((c, i) => (i < params.length ? [sql.raw(c), params[i]!] : [sql.raw(c)])),
    sql``,
  );
  return (await tx.execute<T>(query)).rows as T[];
}
