import Link from 'next/link';
import { type Clock, duration } from '@/lib/lookup/format';
import { eventSummary } from '@/lib/lookup/summary';
import type { TimelineAttempt, TimelineDelivery, TimelineEvent } from '@/lib/lookup/timeline';
import { deliveryVerdict, duplicateNote, eventVerdict, type Verdict } from '@/lib/lookup/verdict';
import type { ActorView } from '@/lib/operations/single-delivery';
import { Time } from '../ui/time';
import type { DeliveryActionKind } from './actions';
import { CopySummary } from './copy-summary';
import { DeliveryActions } from './delivery-actions';

const toneClass: Record<Verdict['tone'], string> = {
  ok: 'border-green-300 bg-green-50 text-green-900 dark:border-green-800 dark:bg-green-950 dark:text-green-100',
  waiting:
    'border-amber-300 bg-amber-50 text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100',
  problem: 'border-red-300 bg-red-50 text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100',
  neutral:
    'border-zinc-300 bg-zinc-50 text-zinc-900 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100',
};

export function VerdictBox({ verdict, label }: { verdict: Verdict; label: string }) {
  return (
    <div
      role="status"
      aria-label={label}
      className={`rounded-lg border px-4 py-3 ${toneClass[verdict.tone]}`}
    >
      <p className="font-medium">{verdict.headline}</p>
      {verdict.detail && <p className="mt-1 text-sm opacity-80">{verdict.detail}</p>}
    </div>
  );
}

/** What the delivery's state allows (the server checks again when it runs). */
export function allowedActions(d: Pick<TimelineDelivery, 'state' | 'attempts'>): DeliveryActionKind[] {
  if (d.state === 'dead') return ['replay', 'discard'];
  if (d.state === 'pending') return ['retry', 'discard'];
  return [];
}

function AttemptItem({ a }: { a: TimelineAttempt }) {
  return (
    <li className="border-t border-zinc-100 py-2 dark:border-zinc-800">
      <div className="flex flex-wrap gap-x-4 gap-y-1">
        <span className="font-medium">Attempt {a.attempt}</span>
        <Time value={a.startedAt} absolute />
        <span>{duration(a.durationMs)}</span>
        <span
          className={
            a.outcome === 'succeeded'
              ? 'text-green-700 dark:text-green-400'
              : 'text-red-600 dark:text-red-400'
          }
        >
          {a.outcome}
        </span>
        <span className="text-zinc-500">{a.manual ? 'manual' : 'scheduled'}</span>
        {a.worker && <span className="text-zinc-500">worker {a.worker}</span>}
        {a.messageId && <span>Postmark message {a.messageId}</span>}
      </div>
      {a.error && (
        <p className="mt-1 text-red-700 dark:text-red-400">
          {a.errorCode ? `[${a.errorCode}] ` : ''}
          {a.error}
        </p>
      )}
      {a.nextRunAt && a.outcome === 'failed' && (
        <p className="text-zinc-600 dark:text-zinc-400">
          Next try scheduled for <Time value={a.nextRunAt} />
        </p>
      )}
      {a.errorStack && (
        <details className="mt-1">
          <summary className="cursor-pointer text-zinc-500">Stack trace</summary>
          <pre className="mt-1 overflow-x-auto rounded bg-zinc-100 p-2 text-xs dark:bg-zinc-900">
            {a.errorStack}
          </pre>
        </details>
      )}
    </li>
  );
}

export function DeliveryBlock({
  d,
  clock,
  actor,
  omit = [],
}: {
  d: TimelineDelivery;
  clock: Clock;
  actor: ActorView;
  /** Actions the surrounding page already offers in its own way. */
  omit?: DeliveryActionKind[];
}) {
  const verdict = deliveryVerdict(d, clock);
  return (
    <section
      aria-label={`Delivery ${d.id} to ${d.subscription}`}
      className="rounded-lg border border-zinc-200 p-4 dark:border-zinc-800"
    >
      <div className="mb-2 flex flex-wrap items-baseline justify-between gap-2">
        <h3 className="font-medium">
          <Link className="underline" href={`/deliveries/${d.id}`}>
            Delivery {d.id}
          </Link>{' '}
          → {d.subscription} <span className="text-zinc-500">({d.state})</span>
        </h3>
        {actor.canAct && (
          <DeliveryActions
            id={d.id}
            actions={allowedActions(d).filter(
              (a) => !omit.includes(a) && (a !== 'discard' || actor.canDiscard),
            )}
            reasonRequired={actor.reasonRequired}
          />
        )}
      </div>
      <VerdictBox verdict={verdict} label={`Verdict for delivery ${d.id}`} />
      <h4 className="mt-3 text-xs font-semibold uppercase tracking-wide text-zinc-500">
        Attempts, newest first
      </h4>
      {d.attemptList.length === 0 ? (
        <p className="text-zinc-500">No attempt yet.</p>
      ) : (
        <ol aria-label={`Attempts of delivery ${d.id}`} className="text-sm">
          {[...d.attemptList].reverse().map((a) => (
            <AttemptItem key={a.id} a={a} />
          ))}
        </ol>
      )}
      {d.providerEvents.length > 0 && (
        <>
          <h4 className="mt-3 text-xs font-semibold uppercase tracking-wide text-zinc-500">
            Postmark reported
          </h4>
          <ul aria-label={`Provider events of delivery ${d.id}`} className="text-sm">
            {d.providerEvents.map((p) => (
              <li key={p.id}>
                {p.recordType} at <Time value={p.occurredAt ?? p.receivedAt} absolute />
                {p.recipient ? ` for ${p.recipient}` : ''}
                {p.detail ? ` — ${p.detail}` : ''}{' '}
                <span className="text-zinc-500">(message {p.messageId})</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

/** One event's whole story: verdict, who published it, each delivery with its attempts. */
export function EventTimeline({
  e,
  clock,
  actor,
  headingLevel = 2,
}: {
  e: TimelineEvent;
  clock: Clock;
  actor: ActorView;
  headingLevel?: 2 | 3;
}) {
  const H = headingLevel === 2 ? 'h2' : 'h3';
  const dup = duplicateNote(e);
  return (
    <article aria-label={`Event ${e.id}`} className="mb-8 space-y-3">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <H className="text-lg font-semibold">
          <Link className="underline" href={`/events/${e.id}`}>
            Event {e.id}
          </Link>{' '}
          · {e.channel}
          {e.key ? ` · ${e.key}` : ''}
        </H>
        <CopySummary text={eventSummary(e, clock)} />
      </div>
      <VerdictBox verdict={eventVerdict(e, clock)} label={`Verdict for event ${e.id}`} />
      <p className="text-sm text-zinc-600 dark:text-zinc-400">
        Published at <Time value={e.createdAt} absolute />
        {e.source ? ` by ${e.source}` : ''}
        {e.matchedBy.length > 0 ? ` · matched by ${e.matchedBy.join(', ')}` : ''}
        {e.idempotencyKey ? ` · idempotency key ${e.idempotencyKey}` : ''}
      </p>
      {dup && <p className="text-sm">{dup}</p>}
      {e.deliveries.map((d) => (
        <DeliveryBlock key={d.id} d={d} clock={clock} actor={actor} />
      ))}
    </article>
  );
}
