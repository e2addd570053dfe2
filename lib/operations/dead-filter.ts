/**
 * Which dead deliveries a bulk action applies to, and the one rule for an empty filter. Pure (no
 * database), so the dashboard's dialog asks the same question in the browser.
 */
export interface DeadFilter {
  subscription?: string;
  channel?: string;
  /** Case-insensitive substring of the last error. */
  errorContains?: string;
  /** Died at or after. Relative windows must be frozen by the caller. */
  since?: Date;
  /** Died before. */
  until?: Date;
  /** Only these deliveries (the "N selected" case). */
  ids?: number[];
}

const text = (s: string | undefined) => (typeof s === 'string' && s.trim() ? s.trim() : undefined);

/**
 * The filter as every way in applies it: text trimmed, blank text and an empty id list dropped
 * (a blank `errorContains` would otherwise match every error).
 */
export function normaliseDeadFilter(f: DeadFilter): DeadFilter {
  const out: DeadFilter = {};
  const subscription = text(f.subscription);
  const channel = text(f.channel);
  const errorContains = text(f.errorContains);
  if (subscription) out.subscription = subscription;
  if (channel) out.channel = channel;
  if (errorContains) out.errorContains = errorContains;
  if (f.since) out.since = f.since;
  if (f.until) out.until = f.until;
  if (f.ids && f.ids.length > 0) out.ids = f.ids;
  return out;
}

/**
 * The one empty-filter rule (API, dashboard, CLI, and the bulk action itself): a filter is empty
 * unless it names a subscription, a channel, an error text, a start time (`since`) or deliveries
 * by id. `until` alone does not count: every way in freezes the set with `until` = now, so "dead
 * before T" is the whole queue as anyone sees it; "everything" must be said with a window's
 * start. (Until issue #19 the API and the CLI took `until` alone and the dashboard did not.)
 */
export function isEmptyFilter(f: {
  subscription?: string;
  channel?: string;
  errorContains?: string;
  since?: unknown;
  ids?: readonly number[];
}): boolean {
  return !text(f.subscription) && !text(f.channel) && !text(f.errorContains) && !f.since && !f.ids?.length;
}
