import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import os from 'node:os';
import type pg from 'pg';
import { type ChannelSchemas, validatePayload } from '../lib/channels/registry';
import { createDb } from '../lib/db/client';
import { Listener } from '../lib/db/listener';
import { HeraldError } from '../lib/errors';
import type { Logger } from '../lib/log';
import type { Subscription } from '../lib/subscriptions/define';
import {
  type ClassifiedFailure,
  classifyFailure,
  HandlerTimeoutError,
  PermanentError,
} from '../lib/subscriptions/errors';
import { syncSubscriptions } from '../lib/subscriptions/sync';
import { type Deadline, DeadlineQueue } from './deadlines';
import { DeliveryContext } from './handler-context';
import { LazyAbort } from './lazy-abort';
import * as q from './queries';
import { degradeFailure, degradeSuccess, recordSplitting } from './record-outcomes';

export interface WorkerOptions {
  /** Pool for claims and completions (a handful of connections is plenty). */
  pool: pg.Pool;
  /** Connection string for the dedicated LISTEN connection. */
  url: string;
  channels: ChannelSchemas;
  subscriptions: readonly Subscription[];
  log: Logger;
  id?: string;
  /** Lease for subscriptions that do not set their own. Default 30 s. */
  defaultLeaseMs?: number;
  /** The polling safety net: claim at least this often even without notifications. Default 1 s. */
  pollIntervalMs?: number;
  /** LISTEN for wake-ups. Off: polling alone (slower, still complete). Default on. */
  notify?: boolean;
  listenerPingMs?: number;
  /** Return expired leases (any worker's) this often. Default 2 s. */
  rescueIntervalMs?: number;
  /** How long stop() lets running handlers finish. Default 10 s. */
  shutdownTimeoutMs?: number;
  /**
   * Deliveries claimed ahead per subscription beyond its concurrency, to hide claim round trips.
   * Default: the subscription's concurrency. Larger values raise throughput for fast handlers
   * but keep more deliveries leased by one process.
   */
  prefetch?: number;
}

interface Lane {
  sub: Subscription;
  queue: q.ClaimedRow[];
  running: number;
  /**
   * The last claim asked for this lane and got fewer than it asked: nothing more is runnable
   * now, so a finishing handler does not claim again (an empty round trip after every event
   * when traffic is light, in the way of the next event's claim). New work wakes the worker
   * through NOTIFY or the poll; a full claim clears this.
   */
  exhausted: boolean;
  /** Timeouts of the handlers running in this lane. */
  deadlines: DeadlineQueue;
}

interface InFlight {
  row: q.ClaimedRow;
  abort?: LazyAbort;
  /** Handed back at shutdown: whatever the handler does later is ignored. */
  abandoned?: boolean;
}

export type OutcomeEvent =
  | { kind: 'succeeded'; deliveryId: number; attempt: number; subscription: string }
  | { kind: 'failed' | 'dead'; deliveryId: number; attempt: number; subscription: string; error: string }
  | { kind: 'refused'; deliveryId: number; attempt: number; subscription: string };

/**
 * The delivery loop of one process: claim in batches (SKIP LOCKED), run handlers with
 * per-subscription concurrency and a timeout, record outcomes in batches, renew leases while
 * handlers run, and rescue anyone's expired leases. All state transitions are SQL functions
 * (drizzle/0001_delivery_functions.sql) fenced on state, lease owner and attempt.
 */
export class Worker extends EventEmitter {
  readonly id: string;
  private readonly db;
  private readonly lanes: Lane[];
  private readonly inflight = new Map<number, InFlight>();
  private readonly successes: q.Success[] = [];
  private readonly failures: q.Failure[] = [];
  private readonly pollIntervalMs: number;
  private readonly defaultLeaseMs: number;
  private readonly prefetch: number | undefined;
  private listener: Listener | undefined;
  private timers: NodeJS.Timeout[] = [];
  private wanted = false;
  private claiming: Promise<void> | undefined;
  private flushing: Promise<void> | undefined;
  private waitingFlag = false;
  private claimFailures = 0;
  private retryWake: { at: number; timer: NodeJS.Timeout } | undefined;
  private readonly retryDue: number[] = [];
  private settledSinceVacuum = 0;
  private vacuuming = false;
  private stopping = false;
  private stopped: Promise<void> | undefined;

  constructor(private readonly options: WorkerOptions) {
    super();
    this.id = options.id ?? `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.db = createDb(options.pool);
    this.lanes = options.subscriptions.map((sub) => ({
      sub,
      queue: [],
      running: 0,
      exhausted: false,
      deadlines: new DeadlineQueue(),
    }));
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.defaultLeaseMs = options.defaultLeaseMs ?? 30_000;
    this.prefetch = options.prefetch;
  }

  get log() {
    return this.options.log;
  }

  async start(): Promise<void> {
    const names = this.lanes.map((l) => l.sub.name);
    await syncSubscriptions(this.db, this.options.subscriptions, this.defaultLeaseMs);
    await q.registerWorker(this.options.pool, this.id, names);
    const leases = this.lanes.map((l) => l.sub.leaseMs ?? this.defaultLeaseMs);
    const heartbeatMs = Math.max(250, Math.floor(Math.min(...leases, this.defaultLeaseMs) / 3));
    this.every(this.pollIntervalMs, () => this.wake());
    this.every(heartbeatMs, () => this.heartbeat());
    this.every(this.options.rescueIntervalMs ?? 2_000, () => this.rescue());
    if (this.options.notify !== false) {
      this.listener = new Listener({
        url: this.options.url,
        channels: ['herald_wakeup'],
        onNotify: () => this.wake(),
        onListening: () => this.wake(),
        pingIntervalMs: this.options.listenerPingMs ?? 5_000,
        log: this.log,
      });
      this.listener.start();
    }
    this.log.info({ worker: this.id, subscriptions: names }, 'worker started');
    this.wake();
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
    return this.prefetch ?? lane.sub.concurrency;
  }

  private capacity(lane: Lane): number {
    return Math.max(0, lane.sub.concurrency + this.prefetchFor(lane) - lane.queue.length - lane.running);
  }

  private async claimLoop(): Promise<void> {
    while (this.wanted && !this.stopping) {
      this.wanted = false;
      const limits = this.lanes.map((l) => this.capacity(l));
      const asked = limits.reduce((a, b) => a + b, 0);
      if (asked === 0) return; // full: a finishing handler wakes us
      let rows: q.ClaimedRow[];
      try {
        rows = await q.claim(
          this.options.pool,
          this.id,
          this.lanes.map((l) => l.sub.name),
          limits,
        );
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
      if (rows.length >= asked) this.waitingFlag = false; // a full claim cleared it in the database
      const received = new Map<Lane, number>();
      for (const row of rows) {
        const lane = this.lanes.find((l) => l.sub.name === row.subscription)!;
        received.set(lane, (received.get(lane) ?? 0) + 1);
        this.inflight.set(row.deliveryId, { row });
        lane.queue.push(row);
        this.startHandlers(lane);
      }
      this.lanes.forEach((lane, i) => {
        if (limits[i]! > 0) lane.exhausted = (received.get(lane) ?? 0) < limits[i]!;
      });
      if (rows.length === 0) void this.vacuumAfterDrain();
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
    while (!this.stopping && lane.running < lane.sub.concurrency && lane.queue.length > 0) {
      const row = lane.queue.shift()!;
      lane.running++;
      void this.runHandler(lane, row);
    }
  }

  private async runHandler(lane: Lane, row: q.ClaimedRow) {
    const entry = this.inflight.get(row.deliveryId);
    const abort = new LazyAbort();
    if (entry) entry.abort = abort;
    const startedAt = Date.now();
    const timeoutMs = lane.sub.timeoutMs;
    let deadline: Deadline | undefined;
    try {
      const payload = this.payloadFor(row);
      const context = new DeliveryContext(row, abort);
      // One promise for the handler and its timeout (cheaper than Promise.race of two).
      const result = await new Promise<unknown>((resolve, reject) => {
        deadline = new HandlerDeadline(performance.now() + timeoutMs, timeoutMs, abort, reject);
        lane.deadlines.add(deadline);
        Promise.resolve(lane.sub.handler(payload, context)).then(resolve, reject);
      });
      if (!entry?.abandoned) this.successes.push({ row, startedAt, result: toJson(result) });
    } catch (error) {
      if (!entry?.abandoned) this.failures.push({ row, startedAt, failure: classifyFailure(error) });
    } finally {
      if (deadline) lane.deadlines.finish(deadline);
      lane.running--;
      this.flush();
      this.startHandlers(lane);
      // Refill before the local queue runs dry, so handlers never wait on a claim round trip.
      if (
        !lane.exhausted &&
        lane.queue.length < Math.max(1, (lane.sub.concurrency + this.prefetchFor(lane)) / 4)
      )
        this.wake();
    }
  }

  /**
   * Be awake when a retry this worker scheduled falls due, rather than at the next poll (which
   * may be far off): retries keep their schedule whatever HERALD_POLL_INTERVAL_MS says. One
   * timer, armed for the earliest due time; later ones wait in a short sorted list.
   */
  private wakeAt(when: Date) {
    const at = when.getTime() + 20; // the database's clock decided; a little slack for skew
    const due = this.retryDue;
    let i = due.length;
    while (i > 0 && due[i - 1]! > at) i--;
    due.splice(i, 0, at);
    if (due.length > 10_000) due.pop(); // the poll finds the farthest ones anyway
    this.armRetryWake();
  }

  private armRetryWake() {
    const next = this.retryDue[0];
    if (next === undefined || this.stopping) return;
    if (this.retryWake && this.retryWake.at <= next) return;
    clearTimeout(this.retryWake?.timer);
    const timer = setTimeout(
      () => {
        this.retryWake = undefined;
        const now = Date.now();
        while (this.retryDue.length > 0 && this.retryDue[0]! <= now) this.retryDue.shift();
        this.wake();
        this.armRetryWake();
      },
      Math.max(0, next - Date.now()),
    );
    timer.unref();
    this.retryWake = { at: next, timer };
  }

  private payloadFor(row: q.ClaimedRow): unknown {
    if (!Object.hasOwn(this.options.channels, row.channel)) return row.payload; // pattern subscriptions
    try {
      return validatePayload(this.options.channels, row.channel, row.payload);
    } catch (error) {
      // Plain-SQL publishers are not checked at publish time; a payload that breaks the
      // channel's schema will never pass, so it goes straight to the dead-letter queue.
      const detail =
        error instanceof HeraldError ? error.details?.map((d) => `${d.path}: ${d.message}`).join('; ') : '';
      throw new PermanentError(`payload does not match the channel schema (${detail})`, {
        code: 'invalid_payload',
      });
    }
  }

  /** Record finished attempts in batches: at most one round of writes in flight at a time. */
  private flush(): Promise<void> {
    this.flushing ??= new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.flushLoop())
      .finally(() => {
        this.flushing = undefined;
        if (this.successes.length + this.failures.length > 0) void this.flush();
      });
    return this.flushing;
  }

  private async flushLoop() {
    let delay = 100;
    while (this.successes.length + this.failures.length > 0) {
      const ok = this.successes.splice(0);
      const bad = this.failures.splice(0);
      const unrecorded = new Set<number>();
      const dropped = (item: q.Success | q.Failure, refusal: unknown) => {
        unrecorded.add(item.row.deliveryId);
        this.log.error(
          { deliveryId: item.row.deliveryId, err: errorText(refusal) },
          'the database refused this outcome even without its result or error text; its lease will expire',
        );
      };
      try {
        const [completed, failed] = await Promise.all([
          recordSplitting<q.Success, Set<number>>(ok, {
            write: (batch) => q.completeMany(this.options.pool, this.id, batch),
            empty: () => new Set<number>(),
            merge: (into, more) => new Set([...into, ...more]),
            degrade: degradeSuccess,
            dropped,
          }),
          recordSplitting<q.Failure, Map<number, q.FailResult>>(bad, {
            write: (batch) => q.failMany(this.options.pool, this.id, batch),
            empty: () => new Map<number, q.FailResult>(),
            merge: (into, more) => new Map([...into, ...more]),
            degrade: degradeFailure,
            dropped,
          }),
        ]);
        if (unrecorded.size === 0) this.settle(ok, bad, completed, failed);
        else {
          for (const id of unrecorded) this.inflight.delete(id);
          this.settle(
            ok.filter((s) => !unrecorded.has(s.row.deliveryId)),
            bad.filter((f) => !unrecorded.has(f.row.deliveryId)),
            completed,
            failed,
          );
        }
        this.settledSinceVacuum += ok.length + bad.length;
        delay = 100;
      } catch (error) {
        // Keep the outcomes and try again: a retry is safe because every write is fenced.
        this.log.error(
          { err: errorText(error), pending: ok.length + bad.length },
          'recording outcomes failed; retrying',
        );
        this.successes.unshift(...ok);
        this.failures.unshift(...bad);
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5_000);
      }
    }
  }

  private settle(
    ok: q.Success[],
    bad: q.Failure[],
    completed: Set<number>,
    failed: Map<number, q.FailResult>,
  ) {
    // Successes are the bulk of the traffic: build nothing for a log level or listener that is off.
    const reportSuccess = this.log.isLevelEnabled('info') || this.listenerCount('outcome') > 0;
    for (const s of ok) {
      this.inflight.delete(s.row.deliveryId);
      const succeeded = completed.has(s.row.deliveryId);
      if (succeeded && !reportSuccess) continue;
      const base = { deliveryId: s.row.deliveryId, attempt: s.row.attempt, subscription: s.row.subscription };
      if (succeeded) {
        this.log.info({ ...base, eventId: s.row.eventId, outcome: 'succeeded' }, 'attempt succeeded');
        this.emit('outcome', { kind: 'succeeded', ...base } satisfies OutcomeEvent);
      } else {
        this.log.warn({ ...base }, 'completion refused: the lease was lost before the handler finished');
        this.emit('outcome', { kind: 'refused', ...base } satisfies OutcomeEvent);
      }
    }
    for (const f of bad) {
      this.inflight.delete(f.row.deliveryId);
      const base = { deliveryId: f.row.deliveryId, attempt: f.row.attempt, subscription: f.row.subscription };
      const result = failed.get(f.row.deliveryId);
      if (result) {
        if (result.nextRunAt) this.wakeAt(result.nextRunAt);
        const kind = result.outcome === 'dead' ? 'dead' : 'failed';
        this.log.info(
          {
            ...base,
            eventId: f.row.eventId,
            outcome: kind,
            code: f.failure.code,
            nextRunAt: result.nextRunAt,
            err: f.failure.error,
          },
          'attempt failed',
        );
        this.emit('outcome', { kind, ...base, error: f.failure.error } satisfies OutcomeEvent);
      } else {
        this.log.warn({ ...base }, 'completion refused: the lease was lost before the handler failed');
        this.emit('outcome', { kind: 'refused', ...base } satisfies OutcomeEvent);
      }
    }
  }

  /**
   * A fast drain leaves tens of thousands of dead row versions in the claim index, and
   * autovacuum may not come for a minute (its wake-up interval is server-wide): claims slow
   * down meanwhile. Going idle after settling many deliveries, vacuum the hot table now.
   * SKIP_LOCKED: if another worker is already vacuuming it, skip.
   */
  private async vacuumAfterDrain() {
    if (this.settledSinceVacuum < 10_000 || this.vacuuming) return;
    this.vacuuming = true;
    this.settledSinceVacuum = 0;
    try {
      await this.options.pool.query('VACUUM (SKIP_LOCKED) herald.deliveries');
    } catch (error) {
      this.log.debug({ err: errorText(error) }, 'vacuum after drain skipped');
    } finally {
      this.vacuuming = false;
    }
  }

  private async heartbeat() {
    try {
      await q.registerWorker(
        this.options.pool,
        this.id,
        this.lanes.map((l) => l.sub.name),
      );
      if (this.listenerReconnects > 0)
        await q.reportListenerReconnects(this.options.pool, this.id, this.listenerReconnects);
      const ids = [...this.inflight.keys()];
      if (ids.length === 0) return;
      const kept = await q.heartbeat(this.options.pool, this.id, ids);
      for (const id of ids) {
        if (kept.has(id)) continue;
        const entry = this.inflight.get(id);
        if (!entry) continue; // finished meanwhile
        // Someone else owns it now: stop working on it; our outcome would be refused anyway.
        entry.abort?.abort();
        for (const lane of this.lanes) lane.queue = lane.queue.filter((r) => r.deliveryId !== id);
        this.log.warn({ deliveryId: id }, 'lease lost');
      }
    } catch (error) {
      this.log.warn({ err: errorText(error) }, 'heartbeat failed');
    }
  }

  private async rescue() {
    try {
      const rescued = await q.rescueExpired(this.options.pool);
      if (rescued > 0) {
        this.log.warn({ rescued }, 'returned expired leases to the queue');
        this.wake();
      }
    } catch (error) {
      this.log.warn({ err: errorText(error) }, 'rescue failed');
    }
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
    clearTimeout(this.retryWake?.timer);
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
    for (const [id, entry] of this.inflight) {
      if (
        this.successes.some((s) => s.row.deliveryId === id) ||
        this.failures.some((f) => f.row.deliveryId === id)
      )
        continue;
      entry.abandoned = true;
      entry.abort?.abort();
      this.failures.push({
        row: entry.row,
        startedAt: null,
        failure: {
          error: 'the worker shut down before the handler finished',
          stack: null,
          code: 'shutdown',
          retryAfterMs: 0,
          permanent: false,
          result: null,
        } satisfies ClassifiedFailure,
      });
    }
    // A flush already under way may have taken its batch before these were queued: keep
    // flushing until nothing is left, so every outcome is recorded before we go.
    while (this.flushing || this.successes.length + this.failures.length > 0) await this.flush();
    for (const lane of this.lanes) lane.deadlines.clear();
    await q.unregisterWorker(this.options.pool, this.id).catch(() => {});
    this.log.info({ worker: this.id }, 'worker stopped');
  }
}

/**
 * A handler's timeout: aborts its signal and fails its attempt. A class, not an object literal
 * with an arrow function: under tsx every named arrow is renamed by a defineProperty call,
 * once per delivery.
 */
class HandlerDeadline implements Deadline {
  done = false;
  constructor(
    readonly at: number,
    private readonly timeoutMs: number,
    private readonly abort: LazyAbort,
    private readonly reject: (error: Error) => void,
  ) {}

  expire() {
    this.abort.abort();
    this.reject(new HandlerTimeoutError(this.timeoutMs));
  }
}

function toJson(value: unknown): unknown {
  if (value === undefined) return null;
  try {
    return JSON.parse(JSON.stringify(value));
  } catch {
    return { unserializable: String(value) };
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
