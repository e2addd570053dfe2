import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { createDb } from '../lib/db/client';
import { Listener } from '../lib/db/listener';
import { classifyFailure } from '../lib/subscriptions/errors';
import { syncSubscriptions } from '../lib/subscriptions/sync';
import { BatchRunner } from './batch-run';
import { ClaimFloors } from './claim-floor';
import type { Deadline } from './deadlines';
import { DrainVacuum } from './drain-vacuum';
import { errorText } from './error-text';
import { DeliveryContext } from './handler-context';
import { HandlerDeadline, payloadFor, toJson } from './handler-run';
import { type InFlight, type Lane, newLane } from './lane';
import { LazyAbort } from './lazy-abort';
import { LeaseDeadlines } from './lease-deadline';
import { Leases } from './leases';
import type { WorkerOptions } from './options';
import { Outcomes } from './outcomes';
import * as q from './queries';
import { RetryWake } from './retry-wake';
import { DatabaseClock, MissedSlots, waitForSendSlot } from './send-slot';
import { readTuning, TUNING_CHANNEL, TUNING_POLL_MS } from './tuning';

export type { WorkerOptions } from './options';

/**
 * The delivery loop of one process: claim in batches (SKIP LOCKED), run handlers with
 * per-subscription concurrency and a timeout, and hand their outcomes to be recorded in batches
 * (outcomes.ts); meanwhile renew leases and rescue anyone's expired ones (leases.ts), and wake
 * for the retries it scheduled (retry-wake.ts). Every state change is one SQL function
 * (queries.ts) fenced on state, lease owner and attempt; each one's current body, with the
 * reasons for it, is a file under sql/functions/ (claim_many.sql, complete_many.sql, …).
 */
export class Worker {
  readonly id: string;
  private readonly db;
  private readonly lanes: Lane[];
  private readonly inflight = new Map<number, InFlight>();
  private readonly outcomes: Outcomes;
  /** The outcome queues of `outcomes`, pushed to directly when a handler finishes. */
  private readonly successes: q.Success[];
  private readonly failures: q.Failure[];
  private readonly retries: RetryWake;
  private readonly vacuum: DrainVacuum;
  private readonly leases: Leases;
  private readonly leaseDeadlines: LeaseDeadlines;
  private readonly batches: BatchRunner;
  private readonly missedSlots: MissedSlots;
  private readonly databaseClock = new DatabaseClock();
  private readonly floors: ClaimFloors;
  private readonly pollIntervalMs: number;
  private readonly defaultLeaseMs: number;
  private readonly prefetch: number | undefined;
  private listener: Listener | undefined;
  private timers: NodeJS.Timeout[] = [];
  private wanted = false;
  private claiming: Promise<void> | undefined;
  private waitingFlag = false;
  private claimFailures = 0;
  private stopping = false;
  private stopped: Promise<void> | undefined;

  constructor(private readonly options: WorkerOptions) {
    const { pool, log } = options;
    this.id = options.id ?? `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.db = createDb(pool);
    this.lanes = options.subscriptions.map(newLane);
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.defaultLeaseMs = options.defaultLeaseMs ?? 30_000;
    this.prefetch = options.prefetch;
    this.retries = new RetryWake(() => this.wake());
    this.vacuum = new DrainVacuum(pool, log);
    this.missedSlots = new MissedSlots(pool, this.id, log);
    this.floors = new ClaimFloors(pool, log, () => this.wake());
    this.outcomes = new Outcomes(pool, this.id, this.inflight, log, this.retries, this.vacuum, (name, held) =>
      this.providerFailureRecorded(name, held),
    );
    this.successes = this.outcomes.successes;
    this.failures = this.outcomes.failures;
    this.batches = new BatchRunner({
      channels: options.channels,
      inflight: this.inflight,
      successes: this.successes,
      failures: this.failures,
      stopping: () => this.stopping,
      finished: (lane, count) => this.finished(lane, count),
      recorded: (ids) => this.recorded(ids),
    });
    this.leaseDeadlines = new LeaseDeadlines(this.lanes, this.defaultLeaseMs);
    this.leases = new Leases(
      pool,
      this.id,
      this.lanes,
      this.inflight,
      this.leaseDeadlines,
      log,
      () => this.listenerReconnects,
      () => this.wake(),
    );
  }

  get log() {
    return this.options.log;
  }

  async start(): Promise<void> {
    const names = this.lanes.map((l) => l.sub.name);
    await syncSubscriptions(
      this.db,
      this.options.subscriptions,
      this.defaultLeaseMs,
      this.options.circuitDefaults,
    );
    await q.registerWorker(this.options.pool, this.id, names);
    await this.applyTuning();
    const leases = this.lanes.map((l) => l.sub.leaseMs ?? this.defaultLeaseMs);
    const heartbeatMs = Math.max(250, Math.floor(Math.min(...leases, this.defaultLeaseMs) / 3));
    this.every(this.pollIntervalMs, () => {
      this.wake();
      void this.floors.probe(this.pollIntervalMs);
    });
    this.every(heartbeatMs, () => {
      // First, and apart from the heartbeat: a heartbeat may hang on a silent connection.
      this.leases.expireUnrenewed();
      return this.leases.heartbeat();
    });
    this.every(this.options.rescueIntervalMs ?? 2_000, () => this.leases.rescue());
    this.every(TUNING_POLL_MS, () => this.applyTuning());
    if (this.options.notify !== false) {
      this.listener = new Listener({
        url: this.options.url,
        channels: ['herald_wakeup', TUNING_CHANNEL],
        onNotify: (channel) => (channel === TUNING_CHANNEL ? void this.applyTuning() : this.wake()),
        onListening: () => this.wake(),
        pingIntervalMs: this.options.listenerPingMs ?? 5_000,
        reconnect: this.options.listenerReconnect,
        log: this.log,
      });
      this.listener.start();
    }
    this.log.info({ worker: this.id, subscriptions: names }, 'worker started');
    this.wake();
  }

  /**
   * Takes up operators' changes of concurrency (worker/tuning.ts): more starts queued handlers at
   * once; less lets running ones finish and starts no more until below it. A failed read keeps
   * the values in force (the next poll tries again).
   */
  async applyTuning(): Promise<void> {
    let tuning: Awaited<ReturnType<typeof readTuning>>['tuning'];
    try {
      const askedAt = Date.now();
      const read = await readTuning(
        this.options.pool,
        this.lanes.map((l) => l.sub.name),
      );
      this.databaseClock.observe(read.dbNowMs, askedAt, Date.now());
      tuning = read.tuning;
    } catch (error) {
      this.log.warn({ err: errorText(error) }, 'could not read subscription tuning');
      return;
    }
    for (const lane of this.lanes) {
      const concurrency = tuning.get(lane.sub.name)?.concurrency;
      if (concurrency === undefined || concurrency === lane.concurrency) continue;
      this.log.info(
        { subscription: lane.sub.name, from: lane.concurrency, to: concurrency },
        'concurrency changed',
      );
      lane.concurrency = concurrency;
      lane.exhausted = false;
      this.startHandlers(lane);
    }
    this.wake();
  }

  /** Deliveries handed back because they missed their send slot (worker/send-slot.ts). */
  get missedSendSlots(): number {
    return this.missedSlots.count;
  }

  /** Listener reconnects so far (for metrics and tests). */
  get listenerReconnects(): number {
    return this.listener?.reconnects ?? 0;
  }

  private every(ms: number, fn: () => unknown) {
    const timer = setInterval(() => {
      if (!this.stopping) fn();
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }

  /** Something may be runnable: claim as soon as the current claim (if any) is done. */
  wake() {
    if (this.stopping) return;
    this.wanted = true;
    this.claiming ??= this.claimLoop().finally(() => {
      this.claiming = undefined;
    });
  }

  /** Claimed ahead beyond the concurrency: the option, else as many again as the concurrency. */
  private prefetchFor(lane: Lane): number {
    return this.prefetch ?? lane.concurrency;
  }

  private capacity(lane: Lane): number {
    return Math.max(0, lane.concurrency + this.prefetchFor(lane) - lane.queue.length - lane.running);
  }

  private async claimLoop(): Promise<void> {
    while (this.wanted && !this.stopping) {
      this.wanted = false;
      const limits = this.lanes.map((l) => this.capacity(l));
      const asked = limits.reduce((a, b) => a + b, 0);
      if (asked === 0) return; // full: a finishing handler wakes us
      let rows: q.ClaimedRow[];
      const askedAt = Date.now();
      const names = this.lanes.map((l) => l.sub.name);
      const sentAt = LeaseDeadlines.now(); // the leases it gives start later: lease-deadline.ts
      try {
        rows = await q.claim(this.options.pool, this.id, names, limits, this.floors.for(names));
      } catch (error) {
        // The database may be restarting. Try again soon rather than at the next poll, which
        // may be far off; notifications cannot be relied on to wake us meanwhile.
        this.claimFailures++;
        const delay = Math.min(this.pollIntervalMs, 50 * 2 ** Math.min(this.claimFailures, 6));
        this.log.error({ err: errorText(error), retryInMs: delay }, 'claim failed');
        setTimeout(() => this.wake(), delay).unref();
        return;
      }
      this.claimFailures = 0;
      this.floors.claimed(rows);
      if (rows.length >= asked) this.waitingFlag = false; // a full claim cleared it in the database
      const received = new Map<Lane, number>();
      const arrived = Date.now();
      let lastSlot = 0;
      const paced = rows.find((r) => r.dbNowMs !== null);
      if (paced) this.databaseClock.observe(paced.dbNowMs!, askedAt, arrived);
      for (const row of rows) {
        const lane = this.lanes.find((l) => l.sub.name === row.subscription)!;
        // Rate-limited (or a circuit's paced release): it runs in its send slot or not at all.
        if (row.sendAtMs !== null) {
          const window = this.databaseClock.window(row.sendAtMs);
          row.sendAt = window.sendAt;
          row.sendBy = window.sendBy;
          lastSlot = Math.max(lastSlot, row.sendAt);
        }
        received.set(lane, (received.get(lane) ?? 0) + 1);
        this.inflight.set(row.deliveryId, {
          row,
          leaseUntil: this.leaseDeadlines.until(row.subscription, sentAt),
        });
        lane.queue.push(row);
        this.startHandlers(lane);
      }
      this.lanes.forEach((lane, i) => {
        if (limits[i]! > 0) lane.exhausted = (received.get(lane) ?? 0) < limits[i]!;
      });
      // A rate-limited claim gets send slots up to a second ahead: claim again shortly before
      // they run out, so the schedule stays full (a finishing handler does not: the lane may be
      // marked exhausted only because the rate allowed no more).
      if (lastSlot > 0) this.retries.at(new Date(lastSlot - 200));
      if (rows.length === 0) void this.vacuum.afterDrain();
      if (rows.length >= asked) {
        this.wanted = true; // there may be more
      } else if (!this.waitingFlag && this.options.notify !== false) {
        // We have room and found too little: ask publishers to notify us, then look once
        // more so that nothing committed just before the flag was set waits for the poll.
        try {
          await q.setWaiting(this.options.pool, this.id, true);
          this.waitingFlag = true;
          this.wanted = true;
        } catch (error) {
          this.log.warn({ err: errorText(error) }, 'could not set the waiting flag');
        }
      }
    }
  }

  private startHandlers(lane: Lane) {
    // Deliveries without a send slot go in batches where the subscription has a batch handler.
    if (lane.sub.batch) this.batches.start(lane);
    while (!this.stopping && lane.unsure === 0 && lane.running < lane.concurrency && lane.queue.length > 0) {
      // A rate-limited delivery has a send slot (worker/send-slot.ts) and goes alone at it, batch
      // handler or not: a batch would put many sends into one moment.
      if (lane.sub.batch && !lane.queue[0]!.sendAt) return;
      const row = lane.queue.shift()!;
      lane.running++;
      if (row.sendAt) void this.runAtSendSlot(lane, row);
      else void this.runHandler(lane, row);
    }
  }

  /**
   * A rate-limited delivery: run at its send slot, or hand it back if that has passed. One whose
   * lease was lost while it waited (leases.ts) does not run, and is no longer ours to hand back.
   */
  private async runAtSendSlot(lane: Lane, row: q.ClaimedRow) {
    const onTime = await waitForSendSlot(row.sendAt!, row.sendBy!);
    const entry = this.inflight.get(row.deliveryId);
    if (onTime && !entry?.lost) return this.runHandler(lane, row);
    lane.running--;
    if (this.inflight.delete(row.deliveryId) && !entry?.lost) this.missedSlots.giveBack(row);
    lane.exhausted = false;
    this.startHandlers(lane);
    this.wake();
  }

  private async runHandler(lane: Lane, row: q.ClaimedRow) {
    const entry = this.inflight.get(row.deliveryId);
    const abort = new LazyAbort();
    if (entry) entry.abort = abort;
    const startedAt = Date.now();
    const timeoutMs = lane.sub.timeoutMs;
    let deadline: Deadline | undefined;
    try {
      const payload = payloadFor(this.options.channels, row);
      const context = new DeliveryContext(row, abort);
      // One promise for the handler and its timeout (cheaper than Promise.race of two).
      const result = await new Promise<unknown>((resolve, reject) => {
        deadline = new HandlerDeadline(performance.now() + timeoutMs, timeoutMs, abort, reject);
        lane.deadlines.add(deadline);
        Promise.resolve(lane.sub.handler(payload, context)).then(resolve, reject);
      });
      if (!entry?.abandoned) this.successes.push({ row, startedAt, result: toJson(result) });
    } catch (error) {
      if (!entry?.abandoned) {
        const failure = classifyFailure(error);
        if (failure.unavailable) lane.unsure++;
        this.failures.push({ row, startedAt, failure });
      }
    } finally {
      if (deadline) lane.deadlines.finish(deadline);
      this.finished(lane, 1);
    }
  }

  /** `count` deliveries of the lane finished (a handler, or a batch): record, start more, refill. */
  private finished(lane: Lane, count: number) {
    lane.running -= count;
    this.outcomes.flush();
    this.startHandlers(lane);
    // Refill before the local queue runs dry, so handlers never wait on a claim round trip.
    if (!lane.exhausted && lane.queue.length < Math.max(1, (lane.concurrency + this.prefetchFor(lane)) / 4))
      this.wake();
  }

  /** Until these deliveries' queued outcomes are recorded and settled (they leave `inflight`). */
  private async recorded(ids: number[]) {
    // Bounded: a database that refuses outcomes keeps them queued (outcomes.ts retries them);
    // the lane does not wait on it for more than a few rounds.
    for (let round = 0; round < 20 && !this.stopping && ids.some((id) => this.inflight.has(id)); round++)
      await this.outcomes.flush();
  }

  /**
   * A provider-unavailable failure of this subscription is recorded. Until then no queued
   * delivery of it started (Lane.unsure): if the answer is "held", its circuit is open and they go
   * back unsent, so that once a circuit opens the provider hears nothing from this worker but
   * probes (test/circuit-long-outage.test.ts). Else the run of failures goes on and so do they.
   */
  private providerFailureRecorded(subscription: string, held: boolean) {
    const lane = this.lanes.find((l) => l.sub.name === subscription);
    if (!lane) return;
    lane.unsure = Math.max(0, lane.unsure - 1);
    if (held) this.giveBackHeld(subscription);
    this.startHandlers(lane);
  }

  /**
   * The provider of this subscription is down (its circuit is open): the deliveries claimed ahead
   * and not started would only be refused and held one by one. Hand them back unattempted
   * (herald.release: no attempt counted); claims hold them until the circuit lets them through.
   */
  private giveBackHeld(subscription: string) {
    const lane = this.lanes.find((l) => l.sub.name === subscription);
    if (!lane || lane.queue.length === 0 || this.stopping) return;
    const unstarted = lane.queue.splice(0);
    for (const row of unstarted) this.inflight.delete(row.deliveryId);
    q.release(this.options.pool, this.id, unstarted).catch((error) => {
      this.log.warn(
        { err: errorText(error) },
        'could not hand back held deliveries; their leases will expire',
      );
    });
  }

  /**
   * Stop claiming, hand back what has not started, let running handlers finish until the
   * shutdown deadline, then record the rest as failed attempts to be retried at once.
   */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown() {
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    this.retries.stop();
    this.batches.stop();
    await this.listener?.stop();
    await this.claiming;
    const unstarted = this.lanes.flatMap((l) => l.queue.splice(0));
    if (unstarted.length > 0) {
      for (const row of unstarted) this.inflight.delete(row.deliveryId);
      await q.release(this.options.pool, this.id, unstarted).catch((error) => {
        this.log.warn(
          { err: errorText(error) },
          'could not hand back unstarted deliveries; their leases will expire',
        );
      });
    }
    const deadline = Date.now() + (this.options.shutdownTimeoutMs ?? 10_000);
    while (this.lanes.some((l) => l.running > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const [id, entry] of this.inflight) if (!this.outcomes.queued(id)) this.outcomes.abandon(entry);
    await this.outcomes.drain(); // every outcome recorded before we go
    for (const lane of this.lanes) lane.deadlines.clear();
    await q.unregisterWorker(this.options.pool, this.id).catch(() => {});
    this.log.info({ worker: this.id }, 'worker stopped');
  }
}
