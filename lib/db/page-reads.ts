import { cookies } from 'next/headers';
import type { Db } from './client';
import { formatLsn, parseLsn, READ_AFTER_COOKIE } from './lsn';
import { type ReadTarget, sharedReadRouter, writePosition } from './read-routing';

/**
 * Where a server-rendered dashboard page reads: the replica when it is healthy and has replayed
 * what this browser has seen (its herald_read_after cookie, advanced by every read API answer
 * and by the user's own writes: the page after a replay reads the replay), else the primary's
 * read pool. A page cannot set cookies while it renders, so the position moves on through the
 * API reads and actions around it.
 */
export async function pageReadTarget(): Promise<ReadTarget> {
  const after = parseLsn((await cookies()).get(READ_AFTER_COOKIE)?.value);
  return sharedReadRouter().choose(after);
}

/** The Drizzle handle for this page's reads; see `pageReadTarget`. */
export async function pageReadDb(): Promise<Db> {
  return (await pageReadTarget()).db;
}

/**
 * After a dashboard action's write (a server action): the pages that follow read from a replica
 * only once it has replayed this write, so the page after a replay never shows it still dead.
 */
export async function rememberWrite(): Promise<void> {
  if (!sharedReadRouter().hasReplica) return;
  const lsn = await writePosition();
  if (lsn === null) return;
  (await cookies()).set(READ_AFTER_COOKIE, formatLsn(lsn), { path: '/', maxAge: 86_400, sameSite: 'lax' });
}
