import type { ChannelSchemas } from '../lib/channels/registry';
import type { BatchItem, BatchOutcome } from '../lib/subscriptions/define';
import { type ClassifiedFailure, classifyFailure } from '../lib/subscriptions/errors';
import type { Deadline } from './deadlines';
import { DeliveryContext } from './handler-context';
import { HandlerDeadline, payloadFor, toJson } from './handler-run';
import type { InFlight, Lane } from './lane';
import { LazyAbort } from './lazy-abort';
import type * as q from './queries';

/** What the batch runner needs from its worker. */
export interface BatchRunnerDeps {
  channels: ChannelSchemas;
  inflight: Map<number, InFlight>;
  /** The worker's outcome queues (outcomes.ts), pushed to as a handler's are. */
  successes: q.Success[];
  failures: q.Failure[];
  stopping: () => boolean;
  /** `count` deliveries of the lane have finished (their outcomes queued or abandoned). */
  finished: (lane: Lane, count: number) => void;
  /** Until the outcomes queued for these deliveries are recorded (or given up). */
  recorded: (deliveryIds: number[]) => Promise<void>;
}

/** A delivery in a running batch: its row, its worker entry and its own abort. */
interface Member {
  row: q.ClaimedRow;
  entry: InFlight | undefined;
  abort: LazyAbort;
}

/**
 * Runs the deliveries of subscriptions with a batch handler (lib/subscriptions/define.ts
 * BatchOptions): up to `size` claimed deliveries per call, a partial batch lingering up to
 * `lingerMs` for more. Only the call is shared. Each delivery keeps its own lease (the heartbeat
 * renews it; a lost one aborts that delivery's signal, and once all are lost the call's signal
 * too: CallAbort), its own attempt and its own outcome, recorded through the same fenced
 * complete_many / fail_many as a handler's, so a late outcome for a delivery someone else took
 * over is refused like any other. The call's timeout (the subscription's timeoutMs) or a thrown
 * error fails every delivery in it.
 */
export class BatchRunner {
  /** Lanes with a partial batch waiting: the timer that sends it anyway, or `due` once it fired. */
  private readonly lingering = new Map<Lane, { timer?: NodeJS.Timeout; due: boolean }>();

  constructor(private readonly deps: BatchRunnerDeps) {}

  /**
   * Starts as many batches as the lane's concurrency (counted in deliveries) allows, from the
   * queued deliveries without a send slot: a rate-limited one goes alone at its slot (the worker
   * runs those). Nothing starts while a provider-unavailable failure is not yet recorded
   * (Lane.unsure): the answer may be that the circuit opened.
   */
  start(lane: Lane) {
    const batch = lane.sub.batch!;
    while (!this.deps.stopping() && lane.unsure === 0 && lane.queue.length > 0) {
      const paced = lane.queue.findIndex((row) => row.sendAt);
      const ready = paced === -1 ? lane.queue.length : paced;
      if (ready === 0) return;
      const take = Math.min(batch.size, lane.concurrency - lane.running);
      if (take <= 0) return; // a finishing batch calls start again
      if (ready < take && !this.lingerOver(lane, batch.lingerMs)) return;
      this.endLinger(lane);
      const rows = lane.queue.splice(0, Math.min(take, ready));
      lane.running += rows.length;
      void this.run(lane, rows);
    }
  }

  /** Shutdown: no partial batch is sent later (the worker hands the queue back). */
  stop() {
    for (const lane of [...this.lingering.keys()]) this.endLinger(lane);
  }

  private endLinger(lane: Lane) {
    clearTimeout(this.lingering.get(lane)?.timer);
    this.lingering.delete(lane);
  }

  /**
   * Whether a partial batch has waited long enough. The first ask arms the linger timer; its
   * firing makes the batch due and tries again. Refills arriving meanwhile fill the batch, and a
   * full batch goes at once (start() takes it before asking).
   */
  private lingerOver(lane: Lane, lingerMs: number): boolean {
    if (lingerMs === 0) return true;
    const state = this.lingering.get(lane);
    if (state?.due) return true;
    if (!state) {
      const timer = setTimeout(() => {
        this.lingering.set(lane, { due: true });
        this.start(lane);
        // Nothing left to send (handed back, or a lease lost): the next batch lingers afresh.
        if (lane.queue.length === 0) this.lingering.delete(lane);
      }, lingerMs);
      timer.unref();
      this.lingering.set(lane, { timer, due: false });
    }
    return false;
  }

  private async run(lane: Lane, rows: q.ClaimedRow[]) {
    const { inflight, failures, successes } = this.deps;
    const startedAt = Date.now();
    const members: Member[] = [];
    const items: BatchItem<unknown>[] = [];
    const callAbort = new CallAbort();
    for (const row of rows) {
      const entry = inflight.get(row.deliveryId);
      let payload: unknown;
      try {
        payload = payloadFor(this.deps.channels, row);
      } catch (error) {
        // A payload that breaks its channel's schema fails alone; the others still go.
        if (!entry?.abandoned) failures.push({ row, startedAt, failure: classifyFailure(error) });
        continue;
      }
      const abort = callAbort.member();
      if (entry) entry.abort = abort;
      items.push({ payload, context: new DeliveryContext(row, abort) });
      members.push({ row, entry, abort });
    }
    if (members.length > 0) {
      const timeoutMs = lane.sub.timeoutMs;
      let deadline: Deadline | undefined;
      try {
        const outcomes = await new Promise<unknown>((resolve, reject) => {
          deadline = new HandlerDeadline(performance.now() + timeoutMs, timeoutMs, callAbort, reject);
          lane.deadlines.add(deadline);
          Promise.resolve(lane.sub.batch!.handler(items, callAbort.signal)).then(resolve, reject);
        });
        const missing = missingOutcome(outcomes, members.length);
        members.forEach((m, i) => {
          if (m.entry?.abandoned) return;
          const outcome = missing ? undefined : (outcomes as BatchOutcome[])[i];
          if (outcome !== null && typeof outcome === 'object' && 'error' in outcome) {
            const failure = classifyFailure(outcome.error);
            if (failure.unavailable) lane.unsure++;
            failures.push({ row: m.row, startedAt, failure });
          } else if (outcome !== null && typeof outcome === 'object' && 'result' in outcome) {
            successes.push({ row: m.row, startedAt, result: toJson(outcome.result) });
          } else {
            failures.push({ row: m.row, startedAt, failure: missing ?? notAnOutcome(i) });
          }
        });
      } catch (error) {
        // The call failed as a whole (the provider is down, the call timed out, a bug): none of
        // its deliveries is known to have gone, so each fails, is retried and counted on its own.
        const failure = classifyFailure(error);
        const pushed: number[] = [];
        for (const m of members) {
          m.abort.abort();
          if (m.entry?.abandoned) continue;
          if (failure.unavailable) lane.unsure++;
          failures.push({ row: m.row, startedAt, failure });
          pushed.push(m.row.deliveryId);
        }
        // The provider is down: before this lane sends (or claims) more, let these failures reach
        // the circuit breaker. If they open it, the worker hands back what it claimed ahead, so
        // the next batch is not one more request into the outage.
        if (failure.unavailable) await this.deps.recorded(pushed);
      } finally {
        if (deadline) lane.deadlines.finish(deadline);
      }
    }
    this.deps.finished(lane, rows.length);
  }
}

/**
 * The signal of a batch call: aborted by its timeout (HandlerDeadline), or once every delivery in
 * it has been aborted — their leases lost (taken by another worker, or run out with no renewal
 * heard: lease-deadline.ts), or abandoned at shutdown — as then no outcome of the call can count.
 * A delivery's own signal still aborts alone, as a handler's does.
 */
class CallAbort extends LazyAbort {
  private size = 0;
  private abortedMembers = 0;

  /** The abort of one more delivery in the call. */
  member(): LazyAbort {
    this.size++;
    return new MemberAbort(this);
  }

  memberAborted() {
    if (++this.abortedMembers === this.size) this.abort();
  }
}

class MemberAbort extends LazyAbort {
  constructor(private readonly call: CallAbort) {
    super();
  }

  override abort(reason?: unknown) {
    if (this.isAborted) return;
    super.abort(reason);
    this.call.memberAborted();
  }
}

/** A failure for every delivery when the handler's answer is not one outcome per delivery. */
function missingOutcome(outcomes: unknown, expected: number): ClassifiedFailure | undefined {
  if (Array.isArray(outcomes) && outcomes.length === expected) return undefined;
  const got = Array.isArray(outcomes) ? `${outcomes.length} outcomes` : typeof outcomes;
  return classifyFailure(
    new Error(`the batch handler returned ${got} for ${expected} deliveries; expected one outcome each`),
  );
}

function notAnOutcome(index: number): ClassifiedFailure {
  return classifyFailure(
    new Error(`the batch handler's outcome #${index + 1} is neither { result } nor { error }`),
  );
}
