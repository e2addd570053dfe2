import { describe, expect, it } from 'vitest';
import { LazyAbort } from '../worker/lazy-abort';

describe('LazyAbort', () => {
  it('aborts a signal that was read before the abort', () => {
    const abort = new LazyAbort();
    const signal = abort.signal;
    let heard = 0;
    signal.addEventListener('abort', () => heard++);
    abort.abort();
    abort.abort(); // a second abort is a no-op, not a second event
    expect(signal.aborted).toBe(true);
    expect(heard).toBe(1);
  });

  it('hands out an already aborted signal when read after the abort', () => {
    const abort = new LazyAbort();
    abort.abort(new Error('lease lost'));
    expect(abort.signal.aborted).toBe(true);
    expect((abort.signal.reason as Error).message).toBe('lease lost');
  });

  it('returns the same signal on every read', () => {
    const abort = new LazyAbort();
    expect(abort.signal).toBe(abort.signal);
    expect(abort.signal.aborted).toBe(false);
  });
});
