import type { AlertKind } from '../db/schema';

/** What a rule's numbers mean, per kind: the dashboard, the CLI and the messages read this. */
export interface AlertKindInfo {
  title: string;
  severity: 'critical' | 'warning';
  /** The window in words, e.g. "no delivery finished for". */
  window: string;
  /** The threshold's unit when the kind uses one. */
  threshold?: string;
  usesMinCount?: boolean;
}

export const alertKindInfo: Record<AlertKind, AlertKindInfo> = {
  stall: { title: 'Deliveries stalled', severity: 'critical', window: 'due and nothing finished for (s)' },
  oldest_due: {
    title: 'Oldest due delivery too old',
    severity: 'warning',
    window: 'oldest due older than (s)',
  },
  failure_rate: {
    title: 'Failure rate high',
    severity: 'warning',
    window: 'window (s)',
    threshold: 'failed %',
    usesMinCount: true,
  },
  dead_growth: {
    title: 'Dead letters growing',
    severity: 'warning',
    window: 'window (s)',
    threshold: 'more than',
  },
  no_heartbeat: { title: 'No worker alive', severity: 'critical', window: 'no heartbeat for (s)' },
  circuit_open: { title: 'Provider circuit open', severity: 'critical', window: 'open for at least (s)' },
};

export interface RuleDefaults {
  threshold: number;
  windowSeconds: number;
  minCount: number;
  repeatSeconds: number;
}

/**
 * The rules every installation starts with (global: every subscription), written by the leader
 * when missing, so alerts work from the first start. Operators change them; a missing one comes
 * back, so switch a rule off rather than delete it.
 * - stall 10 min: longer than the longest normal gap between finishes of a busy subscription,
 *   and short enough to wake someone before customers notice.
 * - oldest due 15 min: retries are not due until their backoff ends, so only real waiting counts.
 * - failure rate 20 % of at least 20 outcomes in 5 min: a single bad recipient does not page.
 * - dead letters: more than 10 in 15 min.
 * - no heartbeat 2 min: workers heartbeat every few seconds; rescue forgets them after 2 min.
 * - circuit open: at once (the breaker already waited for a run of failures).
 * Repeats every hour while unacknowledged.
 */
export const defaultRules: Record<AlertKind, RuleDefaults> = {
  stall: { threshold: 0, windowSeconds: 600, minCount: 0, repeatSeconds: 3_600 },
  oldest_due: { threshold: 0, windowSeconds: 900, minCount: 0, repeatSeconds: 3_600 },
  failure_rate: { threshold: 20, windowSeconds: 300, minCount: 20, repeatSeconds: 3_600 },
  dead_growth: { threshold: 10, windowSeconds: 900, minCount: 0, repeatSeconds: 3_600 },
  no_heartbeat: { threshold: 0, windowSeconds: 120, minCount: 0, repeatSeconds: 3_600 },
  circuit_open: { threshold: 0, windowSeconds: 0, minCount: 0, repeatSeconds: 3_600 },
};

/** A span in words: "45 s", "12 min", "3.5 h". */
export const duration = (seconds: number): string => {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s} s`;
  if (s < 7_200) return `${Math.round(s / 60)} min`;
  return `${(s / 3_600).toFixed(1)} h`;
};
