import { describe, expect, it } from 'vitest';
import { isServerUnavailable } from '../lib/db/failover-pool';
import { formatLsn, parseLsn, READ_AFTER_HEADER, readAfterCookie, readAfterOf } from '../lib/db/lsn';
import { replicaNote } from '../lib/db/read-routing';

/** The pure parts of read routing (issue 23); test/read-replica.test.ts runs them against a real standby. */
describe('WAL positions from callers', () => {
  it('parses, orders and prints positions as PostgreSQL does', () => {
    expect(parseLsn('0/16B3748')).toBe(0x16b3748n);
    expect(parseLsn('1/0')! > parseLsn('0/FFFFFFFF')!).toBe(true);
    expect(formatLsn(parseLsn('1A/b374d848')!)).toBe('1A/B374D848');
    for (const bad of ['', '16B3748', '0/', 'x/1', '0/123456789', '0/1; DROP'])
      expect(parseLsn(bad), bad).toBeNull();
  });

  it('takes the later of header and cookie, and ignores a malformed cookie', () => {
    const request = (headers: Record<string, string>) => new Request('http://x/', { headers });
    expect(readAfterOf(request({}))).toBeNull();
    expect(
      readAfterOf(request({ [READ_AFTER_HEADER]: '0/20', cookie: 'a=b; herald_read_after=0%2F10' })),
    ).toBe(0x20n);
    expect(readAfterOf(request({ [READ_AFTER_HEADER]: '0/5', cookie: 'herald_read_after=0%2F10' }))).toBe(
      0x10n,
    );
    expect(readAfterOf(request({ cookie: 'herald_read_after=%E0%A4%A' }))).toBeNull();
    expect(readAfterCookie(0x10n)).toMatch(
      /^herald_read_after=0%2F10; Path=\/; Max-Age=86400; SameSite=Lax$/,
    );
  });
});

describe('which failures move a read to the primary', () => {
  it('server unavailable: connection refused, shutdown, recovery conflict, a dropped connection', () => {
    const pgError = (code: string) => Object.assign(new Error('x'), { code });
    expect(
      isServerUnavailable(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    ).toBe(true);
    expect(isServerUnavailable(pgError('57P01'))).toBe(true);
    expect(isServerUnavailable(pgError('08006'))).toBe(true);
    expect(isServerUnavailable(pgError('40001'))).toBe(true);
    expect(isServerUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    // Wrapped, as Drizzle does.
    expect(isServerUnavailable(Object.assign(new Error('Failed query'), { cause: pgError('57P03') }))).toBe(
      true,
    );
  });

  it('not: a statement timeout, a busy read pool, a bad query', () => {
    const pgError = (code: string) => Object.assign(new Error('x'), { code });
    expect(isServerUnavailable(pgError('57014'))).toBe(false);
    expect(isServerUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(false);
    expect(isServerUnavailable(pgError('42P01'))).toBe(false);
  });
});

describe('the note on the overview', () => {
  const at = new Date().toISOString();
  it('says why reads left the replica, and nothing while it is healthy', () => {
    expect(replicaNote({ state: 'ok', lagMs: 120, replayLsn: '0/1', checkedAt: at }, 5_000)).toBeNull();
    expect(replicaNote({ state: 'down', lagMs: null, replayLsn: null, checkedAt: at }, 5_000)).toMatch(
      /not answering: reading from the primary/,
    );
    expect(replicaNote({ state: 'lagging', lagMs: 12_400, replayLsn: '0/1', checkedAt: at }, 5_000)).toBe(
      'The read replica is 12 s behind (more than the 5.0 s allowed): reading from the primary.',
    );
  });
});
