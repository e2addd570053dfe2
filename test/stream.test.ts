import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../lib/auth/api-keys';
import { LISTENER_APPLICATION_NAME } from '../lib/realtime/hub';
import { createTestDatabase, type TestDatabase, waitFor } from './helpers/db';

/**
 * GET /api/v1/stream through the real route handler: 50 open streams share ONE LISTEN
 * connection; every stream gets each activity message with an id; ids resume within a process
 * and ask for a resync across processes; closing a stream unsubscribes it.
 */
type RouteGet = (request: Request, context: { params: Promise<Record<string, never>> }) => Promise<Response>;
let t: TestDatabase;
let GET: RouteGet;
let token: string;
let hub: import('../lib/realtime/hub').ActivityHub;

beforeAll(async () => {
  t = await createTestDatabase();
  // The route reads DATABASE_URL on first use; this file runs in a process of its own.
  process.env.DATABASE_URL = t.url;
  ({ GET } = await import('../app/api/v1/stream/route'));
  hub = (await import('../lib/realtime/shared-hub')).sharedHub();
  ({ token } = await createApiKey(t.db, {
    name: 'stream-test',
    scopes: ['read'],
    rateLimitPerMinute: 100_000,
    createdBy: 'test',
  }));
});
afterAll(async () => {
  await hub?.stop();
  const { sharedPool } = await import('../lib/db/client');
  await sharedPool().end();
  await t?.drop();
});

/** An open stream: its text so far, and a way to close it as a browser would. */
function open(headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const request = new Request('http://herald.test/api/v1/stream', {
    headers: { authorization: `Bearer ${token}`, ...headers },
    signal: controller.signal,
  });
  const stream = { text: '', response: undefined as Response | undefined, close: () => controller.abort() };
  const done = GET(request, { params: Promise.resolve({}) }).then(async (response) => {
    stream.response = response;
    const reader = response.body?.getReader();
    const decoder = new TextDecoder();
    if (!reader) return;
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (chunk.done) return;
      stream.text += decoder.decode(chunk.value, { stream: true });
    }
  });
  return Object.assign(stream, { done });
}

const listenerConnections = async () =>
  Number(
    (
      await t.query<{ n: string }>(
        'SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()',
        [LISTENER_APPLICATION_NAME],
      )
    )[0]?.n,
  );

const activity = (t0: number, published: number) =>
  JSON.stringify({ from: t0, to: t0 + 1, seconds: [{ t: t0, published, succeeded: 0, failed: 0, dead: 0 }] });

describe('GET /api/v1/stream', () => {
  it('refuses a request without a principal', async () => {
    const response = await GET(new Request('http://herald.test/api/v1/stream'), {
      params: Promise.resolve({}),
    });
    expect(response.status).toBe(401);
  });

  it('fans 50 open streams out of one LISTEN connection, with ids, and cleans up on disconnect', async () => {
    const streams = Array.from({ length: 50 }, () => open());
    await waitFor('every stream said hello', async () =>
      streams.every((s) => s.text.includes('event: hello')),
    );
    const headers = streams[0]!.response!.headers;
    expect(headers.get('content-type')).toContain('text/event-stream');
    expect(headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(headers.get('x-accel-buffering')).toBe('no');
    await waitFor('the hub listens', async () => hub.listening);
    expect(await listenerConnections()).toBe(1);
    expect(hub.subscriberCount).toBe(50);

    await t.query(`SELECT pg_notify('herald_activity', $1)`, [activity(1_700_000_000, 7)]);
    await waitFor('every stream got the activity', async () =>
      streams.every((s) => s.text.includes('"published":7')),
    );
    const message = /id: ([a-f0-9]+:\d+)\nevent: activity\ndata: (.+)\n\n/.exec(streams[0]!.text);
    expect(message?.[1]?.startsWith(`${hub.epoch}:`)).toBe(true);
    expect(JSON.parse(message![2]!).seconds[0]).toMatchObject({ t: 1_700_000_000, published: 7 });
    // Still one listening connection, whatever the number of streams.
    expect(await listenerConnections()).toBe(1);

    for (const s of streams) s.close();
    await Promise.all(streams.map((s) => s.done));
    await waitFor('all unsubscribed', async () => hub.subscriberCount === 0);
  });

  it('resumes from a Last-Event-ID of this process and asks for a resync otherwise', async () => {
    const first = open();
    await waitFor('hello', async () => first.text.includes('event: hello'));
    const helloId = /id: (\S+)\nevent: hello/.exec(first.text)![1]!;
    first.close();
    await t.query(`SELECT pg_notify('herald_activity', $1)`, [activity(1_700_000_100, 3)]);
    await waitFor('the hub saw it', async () => hub.lastSeq > Number(helloId.split(':')[1]));

    const resumed = open({ 'last-event-id': helloId });
    await waitFor('missed message replayed', async () => resumed.text.includes('"published":3'));
    expect(resumed.text).not.toContain('event: resync');
    resumed.close();

    // An id from another (or a restarted) server process cannot be resumed.
    const other = open({ 'last-event-id': 'abcdef012345:42' });
    await waitFor('resync', async () => other.text.includes('event: resync'));
    other.close();
    await Promise.all([first.done, resumed.done, other.done]);
  });

  it('tells open streams to resync when the LISTEN connection had to be replaced', async () => {
    const s = open();
    await waitFor('hello', async () => s.text.includes('event: hello'));
    await t.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [
      LISTENER_APPLICATION_NAME,
    ]);
    await waitFor('resync after reconnect', async () => s.text.includes('event: resync'), 20_000);
    expect(await listenerConnections()).toBe(1);
    s.close();
    await s.done;
  });
});
