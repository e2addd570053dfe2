/**
 * An AbortController made only when a handler reads its signal. Creating one per delivery cost
 * 7 % of the worker's CPU in a drain (bench:engine profile), and most handlers never look at it.
 * Aborting before the signal was read still counts: the signal is then born aborted.
 */
export class LazyAbort {
  private controller: AbortController | undefined;
  private reason: unknown;
  private aborted = false;

  get isAborted(): boolean {
    return this.aborted;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason?: unknown) {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
  }
}
