import { at, atMinute, type Clock, onDay, plural } from './format';
import type {
  DeliveryCircuit,
  LookupResult,
  ProviderEvent,
  TimelineAttempt,
  TimelineDelivery,
  TimelineEvent,
} from './timeline';

/**
 * The answer in plain words, judged from the loaded timeline only (no I/O), so that each case a
 * support agent meets is a unit test: delivered, bounced, waiting for retry #n, dead, rejected,
 * paused, discarded, nothing sent because nobody subscribes, nothing found at all.
 */
export type Tone = 'ok' | 'waiting' | 'problem' | 'neutral';
/** What the person reading the verdict can do about it, if their role allows. */
export type Suggestion = 'replay' | 'retry' | 'resume' | null;

export interface Verdict {
  tone: Tone;
  headline: string;
  /** Evidence or context in one line: the provider's message id, the last error… */
  detail: string | null;
  suggestion: Suggestion;
}

const v = (tone: Tone, headline: string, detail: string | null = null, suggestion: Suggestion = null) => ({
  tone,
  headline,
  detail,
  suggestion,
});

/** Why an attempt failed, short: "Postmark in maintenance", "Postmark rate limit", or the error. */
export function shortReason(a: Pick<TimelineAttempt, 'errorCode' | 'error'> | undefined): string {
  if (!a) return 'unknown error';
  switch (a.errorCode) {
    case 'postmark_100':
      return 'Postmark in maintenance';
    case 'postmark_406':
      return 'recipient inactive at Postmark';
    case 'postmark_300':
      return 'Postmark found the email invalid';
    case 'postmark_429':
    case 'http_429':
      return 'Postmark rate limit';
    case 'timeout':
      return 'no answer in time';
  }
  if (a.errorCode?.startsWith('network_')) return 'provider unreachable';
  if (a.errorCode?.startsWith('http_5')) return `provider server error (${a.errorCode.slice(5)})`;
  const text = a.error ?? a.errorCode ?? 'unknown error';
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}

const last = <T>(xs: T[]): T | undefined => xs[xs.length - 1];

function latestProvider(
  d: TimelineDelivery,
  types: ProviderEvent['recordType'][],
): ProviderEvent | undefined {
  const when = (e: ProviderEvent) => (e.occurredAt ?? e.receivedAt).getTime();
  return d.providerEvents.filter((e) => types.includes(e.recordType)).sort((a, b) => when(b) - when(a))[0];
}

function succeeded(d: TimelineDelivery, clock: Clock): Verdict {
  const ok = [...d.attemptList].reverse().find((a) => a.outcome === 'succeeded');
  const evidence = ok?.messageId ? `Postmark message ${ok.messageId}` : null;
  const bounce = latestProvider(d, ['Bounce']);
  if (bounce)
    return v(
      'problem',
      `Bounced at ${at(bounce.occurredAt ?? bounce.receivedAt, clock)}: the recipient's mail server refused it${bounce.detail ? ` (${bounce.detail})` : ''}`,
      evidence,
    );
  const delivered = latestProvider(d, ['Delivery']);
  const spam = latestProvider(d, ['SpamComplaint']);
  if (spam)
    return v(
      'problem',
      `Delivered${delivered ? ` at ${at(delivered.occurredAt ?? delivered.receivedAt, clock)}` : ''}, then the recipient marked it as spam at ${at(spam.occurredAt ?? spam.receivedAt, clock)}`,
      evidence,
    );
  if (delivered)
    return v(
      'ok',
      `Delivered to the recipient's mail server at ${at(delivered.occurredAt ?? delivered.receivedAt, clock)}`,
      evidence,
    );
  const when = ok?.finishedAt ?? d.finishedAt ?? d.runAt;
  if (ok?.messageId)
    return v(
      'ok',
      `Accepted by Postmark at ${at(when, clock)}; no delivery report from the mail server yet`,
      evidence,
    );
  return v('ok', `Delivered to ${d.subscription} at ${at(when, clock)}`);
}

/** Postmark's bounce Type in words: "HardBounce" → "hard bounce"; none → "bounce". */
function bounceKind(type: string | undefined): string {
  if (!type) return 'bounce';
  const words = type.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return words.includes('bounce') ? words : `bounce (${words})`;
}

function dead(d: TimelineDelivery, clock: Clock): Verdict {
  const final = last(d.attemptList);
  if (final?.errorCode === 'postmark_406') {
    const s = d.suppression;
    // The headline names the kind and the day only; Postmark's description of the bounce is a
    // sentence of its own ("The server was unable to deliver…"), so it goes to the detail line.
    const [type, ...description] = (s?.detail ?? '').split(': ');
    const kind = s?.recordType === 'SpamComplaint' ? 'spam complaint' : bounceKind(type);
    const why = s ? ` (${kind} on ${onDay(s.occurredAt ?? s.receivedAt, clock)})` : '';
    const said = description.join(': ').trim();
    const report =
      s?.recordType === 'Bounce' && said ? `Bounce report: ${said}${/[.!?]$/.test(said) ? '' : '.'} ` : '';
    return v(
      'problem',
      `Rejected: the recipient is marked inactive at Postmark${why}`,
      `${report}Postmark will not send to this address until it is reactivated; a replay would be refused again.`,
    );
  }
  const failures = d.attemptList.filter((a) => a.outcome !== 'succeeded').length || d.attempts;
  // Dead before the retry budget ran out means the error was permanent (e.g. invalid recipient).
  if (final && final.outcome === 'dead' && failures < d.maxAttempts)
    return v(
      'problem',
      `Rejected permanently at ${at(final.finishedAt, clock)}: ${shortReason(final)}`,
      final.error,
      'replay',
    );
  return v(
    'problem',
    `Dead after ${plural(failures, 'attempt')} — replay?`,
    final ? `Last error (${at(final.finishedAt, clock)}): ${shortReason(final)}` : d.lastError,
    'replay',
  );
}

function pending(d: TimelineDelivery, clock: Clock): Verdict {
  const failures = d.attemptList.filter((a) => a.outcome === 'failed' || a.outcome === 'lost');
  if (d.subscriptionPaused)
    return v(
      'waiting',
      `Waiting: the subscription ${d.subscription} is paused${d.pausedAt ? ` since ${at(d.pausedAt, clock)}` : ''}`,
      d.pausedReason ? `Reason given: ${d.pausedReason}` : null,
      'resume',
    );
  if (d.circuit) return held(d, d.circuit, clock);
  const due = d.runAt.getTime() <= clock.now.getTime();
  if (failures.length > 0) {
    const reason = shortReason(last(failures));
    const next = due ? 'next try any moment now' : `next try at ${atMinute(d.runAt, clock)}`;
    return v(
      'waiting',
      `Failed ${plural(failures.length, 'time')} (${reason}); ${next}`,
      last(failures)?.error ?? null,
      'retry',
    );
  }
  if (!due) return v('waiting', `Scheduled to be sent at ${atMinute(d.runAt, clock)}`, null, 'retry');
  return v('waiting', `Queued since ${at(d.runAt, clock)}, waiting for a worker`, null);
}

/** Who the provider is, in words: Postmark for the email subscriptions, else a description. */
function providerName(d: TimelineDelivery): string {
  const postmark =
    d.attemptList.some((a) => a.errorCode?.startsWith('postmark_') || a.messageId) ||
    /email/.test(d.subscription);
  return postmark ? 'Postmark' : `The provider behind ${d.subscription}`;
}

/**
 * Held by the provider circuit breaker (issue #21): the provider is down, so nothing is sent and
 * no attempt is spent until it answers again; then the held deliveries go out at a steady pace.
 */
function held(d: TimelineDelivery, c: DeliveryCircuit, clock: Clock): Verdict {
  const provider = providerName(d);
  const thing = provider === 'Postmark' ? 'email' : 'delivery';
  const others = Math.max(0, c.held - 1);
  const together =
    others > 0 ? ` with ${others.toLocaleString('en-US')} ${others === 1 ? 'other' : 'others'}` : '';
  const reason = shortReason(last(d.attemptList.filter((a) => a.outcome !== 'succeeded')));
  if (c.state === 'open')
    return v(
      'waiting',
      `${provider} has been down since ${at(c.openedAt, clock)}; Herald is holding this ${thing}${together} and sends them when it is back`,
      `No attempts are spent while it is down; Herald checks with one message at a time${c.nextProbeAt ? `, next at ${at(c.nextProbeAt, clock)}` : ''}. Last answer: ${reason}.`,
    );
  const rate = c.releasePerSecond;
  const minutes = rate > 0 ? Math.ceil(c.held / rate / 60) : null;
  return v(
    'waiting',
    `${provider} is back since ${c.backAt ? at(c.backAt, clock) : 'a moment ago'} after being down since ${at(c.openedAt, clock)}; Herald is sending this ${thing}${together} now`,
    `Held ${thing === 'email' ? 'emails' : 'deliveries'} go out at ${rate.toLocaleString('en-US')} a second${minutes !== null ? `, all within about ${plural(minutes, 'minute')}` : ''}.`,
  );
}

export function deliveryVerdict(d: TimelineDelivery, clock: Clock): Verdict {
  switch (d.state) {
    case 'succeeded':
      return succeeded(d, clock);
    case 'dead':
      return dead(d, clock);
    case 'pending':
      return pending(d, clock);
    case 'running': {
      const n = d.attempts + 1;
      return v('waiting', `Being sent right now (attempt ${n})`, null);
    }
    case 'discarded':
      return v(
        'neutral',
        `Not sent: discarded by an operator${d.finishedAt ? ` at ${at(d.finishedAt, clock)}` : ''}`,
        d.lastError ? `Last error before that: ${d.lastError}` : null,
      );
  }
}

/** One verdict for an event: its single delivery's, or why nothing was sent. */
export function eventVerdict(e: TimelineEvent, clock: Clock): Verdict {
  if (e.deliveries.length === 0)
    return v(
      'neutral',
      `Not sent: nothing subscribes to ${e.channel}`,
      `Published at ${at(e.createdAt, clock)}; no subscription matched the channel then, so no delivery was created.`,
    );
  if (e.deliveries.length === 1) return deliveryVerdict(e.deliveries[0]!, clock);
  const verdicts = e.deliveries.map((d) => deliveryVerdict(d, clock));
  const worst =
    (['problem', 'waiting', 'neutral', 'ok'] as const).find((t) => verdicts.some((x) => x.tone === t)) ??
    'ok';
  const counts = (['succeeded', 'pending', 'running', 'dead', 'discarded'] as const)
    .map((s) => [s, e.deliveries.filter((d) => d.state === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  return v(worst, `Fanned out to ${e.deliveries.length} subscriptions: ${counts.join(', ')}`, null);
}

/**
 * What to say when the lookup found nothing: the query never matched a published event, or the
 * event may have been removed by retention.
 */
export function notFoundVerdict(r: Pick<LookupResult, 'query' | 'prunedBefore'>, clock: Clock): Verdict {
  if (r.prunedBefore)
    return v(
      'neutral',
      `Nothing found for “${r.query}”: never published, or older than the retention window`,
      `History before ${onDay(r.prunedBefore, clock)} ${at(r.prunedBefore, clock).slice(-8)} has been removed by retention.`,
    );
  return v(
    'neutral',
    `Nothing found for “${r.query}”: never published`,
    'No event has this key, order id, customer email or id. Check the spelling, or ask whether the order was approved.',
  );
}

/** The explanation when a match came by idempotency key: later publishes were duplicates. */
export function duplicateNote(e: TimelineEvent): string | null {
  if (!e.matchedBy.includes('idempotency key') || !e.idempotencyKey) return null;
  return `Publishes with the idempotency key “${e.idempotencyKey}” are duplicates of event ${e.id}: only this event was stored and sent.`;
}
