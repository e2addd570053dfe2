import type { Principal } from '../auth/principal';
import { config } from '../config';
import { HeraldError } from '../errors';
import { READ_DIGESTS } from './read-digests';

/**
 * The two ways a read is refused under load, as errors with stable codes. The HTTP layer maps
 * them to 503 / 429 with Retry-After (lib/http/errors.ts); dashboard pages show their message
 * (the events page inline, the others through app/error.tsx, which only sees `digest` in
 * production, hence the fixed digests).
 */
export class ReadRefused extends HeraldError {
  override name = 'ReadRefused';
  readonly digest: string;
  constructor(
    code: 'read_timeout' | 'too_many_reads',
    message: string,
    /** Seconds the caller should wait before trying again (the Retry-After header). */
    readonly retryAfterSeconds: number,
  ) {
    super(code, message);
    this.digest = READ_DIGESTS[code];
  }
}

/** A PostgreSQL error's SQLSTATE, looking through wrappers (Drizzle puts the driver's error in `cause`). */
function sqlStateOf(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * pg-pool's errors when no connection could be had within `connectionTimeoutMillis`: every
 * connection was busy ("timeout exceeded when trying to connect"), or a new one was still being
 * opened when the time ran out ("Connection terminated due to connection timeout", seen when
 * the server is busy). Either way the read pool is saturated, not broken.
 */
function isPoolWaitTimeout(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    if (
      e instanceof Error &&
      /timeout exceeded when trying to connect|terminated due to connection timeout/i.test(e.message)
    )
      return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

const retryAfterTimeout = () => Math.max(1, Math.ceil(config().HERALD_READ_STATEMENT_TIMEOUT_MS / 1000));

/**
 * A read-pool failure in words the caller can act on, or the error unchanged. 57014
 * (query_canceled) is the statement timeout on the read pool: nothing else cancels its queries.
 */
export function translateReadError(error: unknown): unknown {
  if (error instanceof ReadRefused) return error;
  const ms = config().HERALD_READ_STATEMENT_TIMEOUT_MS;
  if (sqlStateOf(error) === '57014')
    return new ReadRefused(
      'read_timeout',
      `the query took longer than the ${ms} ms allowed for reads and was stopped; narrow the filters (a channel, a key, a shorter time range) or try again later`,
      retryAfterTimeout(),
    );
  if (isPoolWaitTimeout(error))
    return new ReadRefused(
      'read_timeout',
      'the database is busy with other reads; try again in a few seconds',
      retryAfterTimeout(),
    );
  return error;
}

/** Runs a read (on `sharedReadDb()`), turning a timeout into `ReadRefused`. */
export async function read<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw translateReadError(error);
  }
}

/**
 * Counts expensive reads in flight per principal. Per process: with N app processes a principal
 * may have N × limit; the read pool's size bounds what all principals together can hold.
 */
export class ReadLimiter {
  private readonly inFlight = new Map<string, number>();
  constructor(private readonly limit: () => number) {}

  /** Takes a slot for `key`, or returns null when it already has `limit` reads in flight. */
  tryAcquire(key: string): (() => void) | null {
    const now = this.inFlight.get(key) ?? 0;
    if (now >= this.limit()) return null;
    this.inFlight.set(key, now + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.inFlight.get(key) ?? 1) - 1;
      if (left <= 0) this.inFlight.delete(key);
      else this.inFlight.set(key, left);
    };
  }

  /** Reads `key` has in flight now. */
  count(key: string): number {
    return this.inFlight.get(key) ?? 0;
  }

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const release = this.tryAcquire(key);
    if (!release) {
      throw new ReadRefused(
        'too_many_reads',
        `already ${this.limit()} searches running for you; wait for them to finish, then try again`,
        1,
      );
    }
    try {
      return await work();
    } finally {
      release();
    }
  }
}

const holder = globalThis as unknown as { heraldReadLimiter?: ReadLimiter };

function sharedLimiter(): ReadLimiter {
  holder.heraldReadLimiter ??= new ReadLimiter(() => config().HERALD_READ_CONCURRENCY);
  return holder.heraldReadLimiter;
}

/** The limiter's key: the user or API key, whichever way it came in. */
export const principalKey = (p: Principal) => `${p.kind}:${p.id}`;

/**
 * An expensive read (a filter that may walk whole tables: the events explorer and list, the
 * deliveries list, dead letters, lookup): at most HERALD_READ_CONCURRENCY in flight per principal
 * in this process (429 `too_many_reads` beyond), and a timeout becomes 503 `read_timeout`.
 */
export function expensiveRead<T>(principal: Principal, run: () => Promise<T>): Promise<T> {
  return sharedLimiter().run(principalKey(principal), () => read(run));
}
