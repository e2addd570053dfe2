import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../lib/config';
import type { Clock } from '../lib/lookup/format';
import { at } from '../lib/lookup/format';
import { parseLookup } from '../lib/lookup/parse';
import { eventSummary, lookupSummary } from '../lib/lookup/summary';
import type { ProviderEvent, TimelineAttempt, TimelineDelivery, TimelineEvent } from '../lib/lookup/timeline';
import { deliveryVerdict, eventVerdict, notFoundVerdict } from '../lib/lookup/verdict';

const clock: Clock = { now: new Date('2026-11-28T10:30:00Z'), timeZone: 'UTC' };
const t = (hms: string, day = '2026-11-28') => new Date(`${day}T${hms}Z`);

function attempt(n: number, over: Partial<TimelineAttempt> = {}): TimelineAttempt {
  return {
    id: n,
    attempt: n,
    worker: 'w1',
    startedAt: t('10:02:12'),
    finishedAt: t('10:02:12.400'),
    durationMs: 400,
    outcome: 'succeeded',
    errorCode: null,
    error: null,
    errorStack: null,
    manual: false,
    nextRunAt: null,
    messageId: null,
    recipient: null,
    ...over,
  };
}

function provider(
  recordType: ProviderEvent['recordType'],
  at: Date,
  detail: string | null = null,
): ProviderEvent {
  return {
    id: 1,
    recordType,
    messageId: 'm-1',
    recipient: 'ann@example.com',
    occurredAt: at,
    receivedAt: at,
    detail,
  };
}

function delivery(over: Partial<TimelineDelivery> = {}): TimelineDelivery {
  return {
    id: 7,
    subscription: 'order-confirmation-email',
    state: 'succeeded',
    attempts: 1,
    runAt: t('10:02:12'),
    lastError: null,
    createdAt: t('10:02:11'),
    finishedAt: t('10:02:12.400'),
    maxAttempts: 12,
    subscriptionPaused: false,
    pausedReason: null,
    pausedAt: null,
    circuit: null,
    attemptList: [attempt(1, { messageId: 'm-1' })],
    providerEvents: [],
    suppression: null,
    ...over,
  };
}

function event(deliveries: TimelineDelivery[], over: Partial<TimelineEvent> = {}): TimelineEvent {
  return {
    id: 42,
    channel: 'order.approved',
    key: 'order:1042',
    idempotencyKey: null,
    source: 'checkout',
    createdAt: t('10:02:11'),
    payload: {},
    matchedBy: ['key'],
    deliveries,
    ...over,
  };
}

const maintenance = (n: number) =>
  attempt(n, {
    outcome: 'failed',
    errorCode: 'postmark_100',
    error: 'Postmark is down for maintenance; will retry (Maintenance)',
  });

describe('verdicts', () => {
  it('delivered: the mail server accepted it, with the time from the Delivery webhook', () => {
    const v = deliveryVerdict(delivery({ providerEvents: [provider('Delivery', t('10:02:13'))] }), clock);
    expect(v).toMatchObject({ tone: 'ok', headline: "Delivered to the recipient's mail server at 10:02:13" });
    expect(v.detail).toBe('Postmark message m-1');
  });

  it('accepted by Postmark but no delivery report yet', () => {
    expect(deliveryVerdict(delivery(), clock).headline).toBe(
      'Accepted by Postmark at 10:02:12; no delivery report from the mail server yet',
    );
  });

  it('a non-email subscriber: delivered to it', () => {
    const d = delivery({ subscription: 'sms', attemptList: [attempt(1)] });
    expect(deliveryVerdict(d, clock).headline).toBe('Delivered to sms at 10:02:12');
  });

  it('bounced after being accepted, with the bounce type', () => {
    const d = delivery({
      providerEvents: [provider('Bounce', t('10:03:00'), 'HardBounce: mailbox unknown')],
    });
    expect(deliveryVerdict(d, clock)).toMatchObject({
      tone: 'problem',
      headline: "Bounced at 10:03:00: the recipient's mail server refused it (HardBounce: mailbox unknown)",
    });
  });

  it('spam complaint after delivery', () => {
    const d = delivery({
      providerEvents: [provider('Delivery', t('10:02:13')), provider('SpamComplaint', t('10:20:00'))],
    });
    expect(deliveryVerdict(d, clock).headline).toBe(
      'Delivered at 10:02:13, then the recipient marked it as spam at 10:20:00',
    );
  });

  it('failing during maintenance: count, reason and the next try', () => {
    const d = delivery({
      state: 'pending',
      attempts: 3,
      runAt: t('10:42:05'),
      finishedAt: null,
      attemptList: [maintenance(1), maintenance(2), maintenance(3)],
    });
    expect(deliveryVerdict(d, clock)).toMatchObject({
      tone: 'waiting',
      headline: 'Failed 3 times (Postmark in maintenance); next try at 10:42',
      suggestion: 'retry',
    });
  });

  it('a retry that is due says so rather than naming a past time', () => {
    const d = delivery({
      state: 'pending',
      attempts: 1,
      runAt: t('10:29:00'),
      attemptList: [maintenance(1)],
    });
    expect(deliveryVerdict(d, clock).headline).toBe(
      'Failed 1 time (Postmark in maintenance); next try any moment now',
    );
  });

  it('next try on another day names the day', () => {
    const d = delivery({
      state: 'pending',
      attempts: 1,
      runAt: t('08:00:00', '2026-11-29'),
      attemptList: [maintenance(1)],
    });
    expect(deliveryVerdict(d, clock).headline).toContain('next try at 29 Nov 08:00');
  });

  it('dead after the retry budget: suggests a replay', () => {
    const list = Array.from({ length: 12 }, (_, i) =>
      i === 11 ? { ...maintenance(12), outcome: 'dead' as const } : maintenance(i + 1),
    );
    const d = delivery({ state: 'dead', attempts: 12, attemptList: list });
    expect(deliveryVerdict(d, clock)).toMatchObject({
      tone: 'problem',
      headline: 'Dead after 12 attempts — replay?',
      suggestion: 'replay',
    });
  });

  it('rejected as inactive, with the hard bounce that made it so', () => {
    const d = delivery({
      state: 'dead',
      attemptList: [
        attempt(1, {
          outcome: 'dead',
          errorCode: 'postmark_406',
          error: 'The recipient is inactive at Postmark',
        }),
      ],
      suppression: provider('Bounce', t('09:00:00', '2026-11-02'), 'HardBounce: unknown user'),
    });
    expect(deliveryVerdict(d, clock)).toMatchObject({
      headline: 'Rejected: the recipient is marked inactive at Postmark (hard bounce on 2 Nov 2026)',
      detail: expect.stringMatching(/^Bounce report: unknown user\. Postmark will not send/),
    });
  });

  it('rejected as inactive after a spam complaint', () => {
    const d = delivery({
      state: 'dead',
      attemptList: [attempt(1, { outcome: 'dead', errorCode: 'postmark_406' })],
      suppression: provider('SpamComplaint', t('09:00:00', '2026-11-02'), 'SpamComplaint'),
    });
    expect(deliveryVerdict(d, clock).headline).toBe(
      'Rejected: the recipient is marked inactive at Postmark (spam complaint on 2 Nov 2026)',
    );
  });

  it('rejected as inactive without a known reason', () => {
    const d = delivery({
      state: 'dead',
      attemptList: [attempt(1, { outcome: 'dead', errorCode: 'postmark_406' })],
    });
    expect(deliveryVerdict(d, clock).headline).toBe('Rejected: the recipient is marked inactive at Postmark');
  });

  it('other permanent errors: rejected at once', () => {
    const d = delivery({
      state: 'dead',
      attemptList: [attempt(1, { outcome: 'dead', errorCode: 'postmark_300', error: 'invalid' })],
    });
    expect(deliveryVerdict(d, clock).headline).toBe(
      'Rejected permanently at 10:02:12: Postmark found the email invalid',
    );
  });

  it('paused subscription: waiting, with the reason and a resume suggestion', () => {
    const d = delivery({
      state: 'pending',
      attempts: 0,
      attemptList: [],
      subscriptionPaused: true,
      pausedReason: 'Postmark incident',
      pausedAt: t('09:55:00'),
    });
    expect(deliveryVerdict(d, clock)).toMatchObject({
      headline: 'Waiting: the subscription order-confirmation-email is paused since 09:55:00',
      detail: 'Reason given: Postmark incident',
      suggestion: 'resume',
    });
  });

  it('held by an open circuit: the provider is down since when, and how many wait with it', () => {
    const d = delivery({
      state: 'pending',
      attempts: 1,
      runAt: t('02:10:05'),
      attemptList: [
        attempt(1, {
          outcome: 'failed',
          errorCode: 'postmark_100',
          error: 'Postmark is down for maintenance; will retry',
          startedAt: t('02:10:04'),
          finishedAt: t('02:10:05'),
        }),
      ],
      circuit: {
        state: 'open',
        openedAt: t('02:10:00'),
        backAt: null,
        nextProbeAt: t('10:31:00'),
        held: 1_241,
        releasePerSecond: 20,
      },
    });
    expect(deliveryVerdict(d, clock)).toMatchObject({
      tone: 'waiting',
      headline:
        'Postmark has been down since 02:10:00; Herald is holding this email with 1,240 others and sends them when it is back',
      detail:
        'No attempts are spent while it is down; Herald checks with one message at a time, next at 10:31:00. Last answer: Postmark in maintenance.',
      suggestion: null,
    });
  });

  it('released after the provider came back: sent now, at the configured pace', () => {
    const d = delivery({
      state: 'pending',
      attempts: 0,
      attemptList: [],
      circuit: {
        state: 'half-open',
        openedAt: t('02:10:00'),
        backAt: t('10:29:40'),
        nextProbeAt: null,
        held: 1_200,
        releasePerSecond: 20,
      },
    });
    expect(deliveryVerdict(d, clock)).toMatchObject({
      tone: 'waiting',
      headline:
        'Postmark is back since 10:29:40 after being down since 02:10:00; Herald is sending this email with 1,199 others now',
      detail: 'Held emails go out at 20 a second, all within about 1 minute.',
    });
  });

  it('queued and scheduled', () => {
    const queued = delivery({ state: 'pending', attempts: 0, attemptList: [], runAt: t('10:29:59') });
    expect(deliveryVerdict(queued, clock).headline).toBe('Queued since 10:29:59, waiting for a worker');
    const later = delivery({ state: 'pending', attempts: 0, attemptList: [], runAt: t('11:00:00') });
    expect(deliveryVerdict(later, clock).headline).toBe('Scheduled to be sent at 11:00');
  });

  it('running and discarded', () => {
    expect(deliveryVerdict(delivery({ state: 'running', attempts: 2 }), clock).headline).toBe(
      'Being sent right now (attempt 3)',
    );
    expect(deliveryVerdict(delivery({ state: 'discarded', finishedAt: t('10:10:00') }), clock).headline).toBe(
      'Not sent: discarded by an operator at 10:10:00',
    );
  });

  it('no subscriber for the channel', () => {
    expect(eventVerdict(event([], { channel: 'sms' }), clock).headline).toBe(
      'Not sent: nothing subscribes to sms',
    );
  });

  it('several subscriptions: the worst tone and the counts', () => {
    const v = eventVerdict(
      event([delivery(), delivery({ id: 8, subscription: 'crm', state: 'dead', attemptList: [] })]),
      clock,
    );
    expect(v).toMatchObject({
      tone: 'problem',
      headline: 'Fanned out to 2 subscriptions: 1 succeeded, 1 dead',
    });
  });

  it('nothing found: never published, or older than retention', () => {
    expect(notFoundVerdict({ query: 'x@y.z', prunedBefore: null }, clock).headline).toBe(
      'Nothing found for “x@y.z”: never published',
    );
    const pruned = notFoundVerdict({ query: 'order:1', prunedBefore: t('00:00:00', '2026-11-14') }, clock);
    expect(pruned.headline).toContain('older than the retention window');
    expect(pruned.detail).toContain('14 Nov 2026');
  });
});

describe('copy summary', () => {
  it('ticket-ready: verdict, event, every attempt with its evidence, the time zone', () => {
    const d = delivery({
      attemptList: [maintenance(1), attempt(2, { manual: true, messageId: 'm-1', startedAt: t('10:02:12') })],
      providerEvents: [provider('Delivery', t('10:02:13'))],
    });
    const text = eventSummary(event([d], { idempotencyKey: 'k1', matchedBy: ['idempotency key'] }), clock);
    expect(text).toContain("Delivered to the recipient's mail server at 10:02:13.");
    expect(text).toContain('Event 42 (order.approved, key order:1042) published at 10:02:11 by checkout.');
    expect(text).toContain('duplicates of event 42');
    expect(text).toContain('attempt 1 at 10:02:12 (400 ms, scheduled) failed: Postmark in maintenance');
    expect(text).toContain('attempt 2 at 10:02:12 (400 ms, manual) succeeded, message m-1');
    expect(text).toContain('Postmark Delivery at 10:02:13');
    expect(text).toContain('Times in UTC.');
  });

  it('nothing found', () => {
    expect(
      lookupSummary(
        {
          query: 'nobody@example.com',
          events: [],
          prunedBefore: null,
          more: false,
          before: null,
          olderThan: null,
        },
        clock,
      ),
    ).toMatch(/^Nothing found for “nobody@example.com”: never published\./);
  });
});

describe('reading the query', () => {
  it('an email: lower-cased, also a key', () => {
    expect(parseLookup(' Ann@Example.com ')).toMatchObject({
      email: 'ann@example.com',
      eventId: null,
      orderIds: [],
    });
  });
  it('a number: event id, order id and the key order:<n>', () => {
    expect(parseLookup('1042')).toMatchObject({
      eventId: 1042,
      keys: ['1042', 'order:1042'],
      orderIds: ['1042'],
    });
  });
  it('order:<id>: the key and the payload orderId', () => {
    expect(parseLookup('order:ord-7')).toMatchObject({
      eventId: null,
      keys: ['order:ord-7'],
      orderIds: ['order:ord-7', 'ord-7'],
    });
  });
  it('empty input is no query', () => {
    expect(parseLookup('   ')).toBeNull();
  });
});

describe('HERALD_TIMEZONE', () => {
  it('is UTC unless set, and names the zone the pages show times in', () => {
    expect(parseConfig({}).HERALD_TIMEZONE).toBe('UTC');
    const berlin = parseConfig({ HERALD_TIMEZONE: ' Europe/Berlin ' }).HERALD_TIMEZONE;
    expect(berlin).toBe('Europe/Berlin');
    expect(at(t('10:02:13'), { ...clock, timeZone: berlin })).toBe('11:02:13');
  });
  it('refuses a name that is not an IANA zone, naming the variable', () => {
    expect(() => parseConfig({ HERALD_TIMEZONE: 'Mars/Olympus' })).toThrow(ConfigError);
    expect(() => parseConfig({ HERALD_TIMEZONE: 'Mars/Olympus' })).toThrow(/HERALD_TIMEZONE/);
  });
});
