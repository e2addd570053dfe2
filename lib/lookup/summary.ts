import { at, type Clock, duration } from './format';
import type { LookupResult, TimelineEvent } from './timeline';
import { deliveryVerdict, duplicateNote, eventVerdict, notFoundVerdict, shortReason } from './verdict';

/**
 * The "Copy summary" text: plain lines a support agent pastes into a ticket, with the evidence
 * (ids, times, provider message ids) and the time zone named once.
 */
export function eventSummary(e: TimelineEvent, clock: Clock): string {
  const lines: string[] = [];
  const verdict = eventVerdict(e, clock);
  lines.push(`${verdict.headline}.`);
  lines.push(
    `Event ${e.id} (${e.channel}${e.key ? `, key ${e.key}` : ''}) published at ${at(e.createdAt, clock)}${e.source ? ` by ${e.source}` : ''}.`,
  );
  const dup = duplicateNote(e);
  if (dup) lines.push(dup);
  for (const d of e.deliveries) {
    const dv = deliveryVerdict(d, clock);
    lines.push(`- ${d.subscription} (delivery ${d.id}, ${d.state}): ${dv.headline}.`);
    for (const a of d.attemptList) {
      const outcome = a.outcome === 'succeeded' ? 'succeeded' : `${a.outcome}: ${shortReason(a)}`;
      const evidence = a.messageId ? `, message ${a.messageId}` : '';
      lines.push(
        `  attempt ${a.attempt} at ${at(a.startedAt, clock)} (${duration(a.durationMs)}, ${a.manual ? 'manual' : 'scheduled'}) ${outcome}${evidence}`,
      );
    }
    for (const p of d.providerEvents)
      lines.push(
        `  Postmark ${p.recordType} at ${at(p.occurredAt ?? p.receivedAt, clock)}${p.detail ? ` (${p.detail})` : ''}`,
      );
  }
  lines.push(`Times in ${clock.timeZone}.`);
  return lines.join('\n');
}

export function lookupSummary(r: LookupResult, clock: Clock): string {
  if (r.events.length === 0) {
    const nf = notFoundVerdict(r, clock);
    return `${nf.headline}.\n${nf.detail ?? ''}`.trim();
  }
  const which = r.before === null ? (r.more ? ', the most recent' : '') : ', older ones';
  const head = `Lookup “${r.query}”: ${r.events.length} event(s)${which}.`;
  return [head, ...r.events.map((e) => eventSummary(e, clock))].join('\n\n');
}
