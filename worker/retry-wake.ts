/**
 * Be awake when a retry this worker scheduled falls due, rather than at the next poll (which
 * may be far off): retries keep their schedule whatever HERALD_POLL_INTERVAL_MS says. One
 * timer, armed for the earliest due time; later ones wait in a short sorted list.
 */
export class RetryWake {
  private readonly due: number[] = [];
  private armed: { at: number; timer: NodeJS.Timeout } | undefined;
  private stopped = false;

  constructor(private readonly wake: () => void) {}

  /** A retry falls due at this time (the database's clock). */
  at(when: Date) {
    const at = when.getTime() + 20; // the database's clock decided; a little slack for skew
    const due = this.due;
    let i = due.length;
    while (i > 0 && due[i - 1]! > at) i--;
    due.splice(i, 0, at);
    if (due.length > 10_000) due.pop(); // the poll finds the farthest ones anyway
    this.arm();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.armed?.timer);
  }

  private arm() {
    const next = this.due[0];
    if (next === undefined || this.stopped) return;
    if (this.armed && this.armed.at <= next) return;
    clearTimeout(this.armed?.timer);
    const timer = setTimeout(
      () => {
        this.armed = undefined;
        const now = Date.now();
        while (this.due.length > 0 && this.due[0]! <= now) this.due.shift();
        this.wake();
        this.arm();
      },
      Math.max(0, next - Date.now()),
    );
    timer.unref();
    this.armed = { at: next, timer };
  }
}
