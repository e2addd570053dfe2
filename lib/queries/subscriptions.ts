import { sql } from 'drizzle-orm';
import type { Executor } from '../db/client';

const NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/;

/** Whether a subscription of that name exists; names that cannot exist are not looked up. */
export async function subscriptionExists(db: Executor, name: string): Promise<boolean> {
  if (!NAME.test(name)) return false;
  const { rows } = await db.execute(sql`SELECT 1 FROM herald.subscriptions WHERE name = ${name}`);
  return rows.length > 0;
}
