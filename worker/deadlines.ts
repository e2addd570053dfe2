/** A running handler's timeout, as the lane's queue of deadlines sees it. */
export interface Deadline {
  /** performance.now() at which the handler times out. */
  readonly at: number;
  done: boolean;
  expire(): void;
}

/**
 * The handler timeouts of one lane, on a single timer. A timer per handler (setTimeout and
 * clearTimeout) cost about a microsecond per delivery, a twentieth of the worker's CPU in a
 * drain. Every handler of a lane has the same timeout and starts later than the one before, so
 * deadlines arrive in order: the queue is a FIFO whose first live entry expires next.
 */
export class DeadlineQueue {
  private items: Deadline[] = [];
  private head = 0;
  private live = 0;
  private timer: NodeJS.Timeout | undefined;

  add(deadline: Deadline) {
    this.items.push(deadline);
    this.live++;
    if (!this.timer) this.arm();
  }

  /** The handler finished (or was abandoned): its deadline no longer matters. */
  finish(deadline: Deadline) {
    if (deadline.done) return;
    deadline.done = true;
    this.live--;
    this.skipFinished();
    // A slow handler at the head keeps finished ones behind it: drop them before they pile up.
    if (this.items.length - this.head > 2 * this.live + 1_024) {
      this.items = this.items.slice(this.head).filter((d) => !d.done);
      this.head = 0;
    }
    if (this.live === 0) this.clear();
  }

  /** Forget every deadline (shutdown, or nothing left running). */
  clear() {
    // Marked done, so that a handler finishing later does not count itself off again.
    for (let i = this.head; i < this.items.length; i++) this.items[i]!.done = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.items = [];
    this.head = 0;
    this.live = 0;
  }

  private skipFinished() {
    while (this.head < this.items.length && this.items[this.head]!.done) this.head++;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    }
  }

  private arm() {
    this.skipFinished();
    const next = this.items[this.head];
    if (!next) return;
    this.timer = setTimeout(() => this.fire(), Math.max(0, next.at - performance.now()));
    // The handler's own work keeps the process alive, not its timeout.
    this.timer.unref();
  }

  private fire() {
    this.timer = undefined;
    const now = performance.now();
    while (this.head < this.items.length) {
      const deadline = this.items[this.head]!;
      if (!deadline.done) {
        if (deadline.at > now) break;
        deadline.done = true;
        this.live--;
        deadline.expire();
      }
      this.head++;
    }
    this.arm();
  }
}
