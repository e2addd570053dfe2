import { describe, expect, it } from 'vitest';
import { READ_DIGESTS } from '../lib/db/read-digests';
import { ReadLimiter, ReadRefused, translateReadError } from '../lib/db/reads';
import { toErrorResponse } from '../lib/http/errors';

/** A promise with its resolve handle, to hold a read "in flight" for as long as a test wants. */
function gate() {
  let open!: () => void;
  const done = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { done, open };
}

describe('the per-principal read limiter', () => {
  it('lets `limit` reads run per key and refuses the next with 429 too_many_reads', async () => {
    const limiter = new ReadLimiter(() => 2);
    const g = gate();
    const a = limiter.run('user:1', () => g.done.then(() => 'a'));
    const b = limiter.run('user:1', () => g.done.then(() => 'b'));
    expect(limiter.count('user:1')).toBe(2);
    const refused = await limiter.run('user:1', async () => 'c').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ReadRefused);
    expect(refused).toMatchObject({ code: 'too_many_reads', retryAfterSeconds: 1 });
    expect((refused as ReadRefused).digest).toBe(READ_DIGESTS.too_many_reads);
    // Another principal is not affected.
    await expect(limiter.run('api-key:7', async () => 'other')).resolves.toBe('other');
    g.open();
    await expect(Promise.all([a, b])).resolves.toEqual(['a', 'b']);
    expect(limiter.count('user:1')).toBe(0);
    // Slots are free again.
    await expect(limiter.run('user:1', async () => 'again')).resolves.toBe('again');
  });

  it('gives the slot back when the read fails', async () => {
    const limiter = new ReadLimiter(() => 1);
    await expect(limiter.run('k', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(limiter.count('k')).toBe(0);
    await expect(limiter.run('k', async () => 1)).resolves.toBe(1);
  });

  it('releases a slot once, however often release is called', () => {
    const limiter = new ReadLimiter(() => 2);
    const r1 = limiter.tryAcquire('k')!;
    const r2 = limiter.tryAcquire('k')!;
    expect(limiter.tryAcquire('k')).toBeNull();
    r1();
    r1();
    expect(limiter.count('k')).toBe(1);
    r2();
    expect(limiter.count('k')).toBe(0);
  });

  it('reads the limit on every acquire, so a changed setting applies at once', () => {
    let limit = 1;
    const limiter = new ReadLimiter(() => limit);
    expect(limiter.tryAcquire('k')).not.toBeNull();
    expect(limiter.tryAcquire('k')).toBeNull();
    limit = 2;
    expect(limiter.tryAcquire('k')).not.toBeNull();
  });
});

describe('read errors', () => {
  it('turn a statement timeout (57014, wrapped by Drizzle) into 503 read_timeout with Retry-After', async () => {
    const pgError = Object.assign(new Error('canceling statement due to statement timeout'), {
      code: '57014',
    });
    const wrapped = Object.assign(new Error('Failed query: select …'), { cause: pgError });
    const e = translateReadError(wrapped);
    expect(e).toBeInstanceOf(ReadRefused);
    expect((e as ReadRefused).digest).toBe(READ_DIGESTS.read_timeout);
    const res = toErrorResponse(e);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    const body = await res.json();
    expect(body.error.code).toBe('read_timeout');
    expect(body.error.message).toMatch(/took longer than the \d+ ms allowed for reads/);
  });

  it('turn a wait for a read connection that timed out into 503 read_timeout', () => {
    const e = translateReadError(new Error('timeout exceeded when trying to connect'));
    expect(e).toMatchObject({ code: 'read_timeout' });
    expect((e as Error).message).toMatch(/busy with other reads/);
  });

  it('turn a new read connection that could not open in time into 503 read_timeout', () => {
    // What pg-pool throws, wrapped by Drizzle, when the server is too busy to finish a connect.
    const cause = new Error('Connection terminated due to connection timeout', {
      cause: new Error('Connection terminated unexpectedly'),
    });
    const e = translateReadError(new Error('Failed query: SELECT …', { cause }));
    expect(e).toMatchObject({ code: 'read_timeout' });
  });

  it('leave other errors alone', () => {
    const other = Object.assign(new Error('duplicate key'), { code: '23505' });
    expect(translateReadError(other)).toBe(other);
  });

  it('answer 429 too_many_reads with Retry-After', async () => {
    const res = toErrorResponse(new ReadRefused('too_many_reads', 'already 3 searches running', 1));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    expect((await res.json()).error.code).toBe('too_many_reads');
  });
});
