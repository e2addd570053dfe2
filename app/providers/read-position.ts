import { formatLsn, maxLsn, parseLsn, READ_AFTER_HEADER } from '@/lib/db/lsn';

/**
 * The newest primary position this tab has been told of by the live stream (activity messages
 * carry it when the console reads from a replica). Sent with every API read, so a refetch that
 * an activity message triggered is served from the primary until the replica has replayed that
 * message's data: a chart fed by the stream never drops back to the replica's older counts.
 * The cookie covers what the tab has read; this covers what it has been pushed.
 */
let newest: bigint | null = null;

export function notePosition(lsn: string | undefined) {
  newest = maxLsn(newest, parseLsn(lsn));
}

export function readAfterHeaders(): Record<string, string> {
  return newest === null ? {} : { [READ_AFTER_HEADER]: formatLsn(newest) };
}
