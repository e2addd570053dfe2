import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Deadline, DeadlineQueue } from '../worker/deadlines';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

function deadline(inMs: number, expired: string[], name: string): Deadline {
  return { at: performance.now() + inMs, done: false, expire: () => expired.push(name) };
}

describe('DeadlineQueue', () => {
  it('expires each unfinished handler at its own deadline, in order, on one timer', () => {
    const queue = new DeadlineQueue();
    const expired: string[] = [];
    queue.add(deadline(100, expired, 'a'));
    vi.advanceTimersByTime(30);
    queue.add(deadline(100, expired, 'b'));
    vi.advanceTimersByTime(30);
    queue.add(deadline(100, expired, 'c'));
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(39);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual(['a']);
    vi.advanceTimersByTime(30);
    expect(expired).toEqual(['a', 'b']);
    vi.advanceTimersByTime(30);
    expect(expired).toEqual(['a', 'b', 'c']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('never expires a finished handler, at the head or behind it', () => {
    const queue = new DeadlineQueue();
    const expired: string[] = [];
    const a = deadline(100, expired, 'a');
    const b = deadline(100, expired, 'b');
    const c = deadline(100, expired, 'c');
    queue.add(a);
    queue.add(b);
    queue.add(c);
    queue.finish(b);
    queue.finish(a);
    vi.advanceTimersByTime(1_000);
    expect(expired).toEqual(['c']);
    queue.finish(c); // after its expiry: a no-op
  });

  it('drops its timer once nothing is running', () => {
    const queue = new DeadlineQueue();
    const expired: string[] = [];
    const a = deadline(30_000, expired, 'a');
    queue.add(a);
    expect(vi.getTimerCount()).toBe(1);
    queue.finish(a);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps a bounded list behind a slow handler while thousands of others finish', () => {
    const queue = new DeadlineQueue();
    const expired: string[] = [];
    queue.add(deadline(30_000, expired, 'slow'));
    for (let i = 0; i < 100_000; i++) {
      const d = deadline(30_000, expired, `fast ${i}`);
      queue.add(d);
      queue.finish(d);
    }
    expect((queue as unknown as { items: Deadline[] }).items.length).toBeLessThanOrEqual(1_100);
    vi.advanceTimersByTime(30_000);
    expect(expired).toEqual(['slow']);
  });

  it('forgets everything on clear, and counts right when a forgotten handler finishes later', () => {
    const queue = new DeadlineQueue();
    const expired: string[] = [];
    const a = deadline(10, expired, 'a');
    queue.add(a);
    queue.clear();
    vi.advanceTimersByTime(100);
    expect(expired).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    queue.finish(a);
    const b = deadline(10_000, expired, 'b');
    queue.add(b);
    queue.finish(b);
    // Nothing runs: no timer left behind (a miscount would keep it).
    expect(vi.getTimerCount()).toBe(0);
  });
});
