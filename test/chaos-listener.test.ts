import { afterAll, beforeAll, expect, it } from 'vitest';
import { Listener } from '../lib/db/listener';
import { createLogger } from '../lib/log';
import { type StallProxy, startStallProxy } from './chaos/proxy';
import { createTestDatabase, type TestDatabase, waitFor } from './helpers/db';

/**
 * Found by the chaos suite's network-stall proxy: a connection that goes silent after it is
 * opened but before LISTEN is answered. The health ping only starts once LISTEN is in place,
 * so without a bound on those queries the listener waits forever — deaf, and never reconnecting.
 */
let t: TestDatabase;
let proxy: StallProxy;
let listener: Listener | undefined;

beforeAll(async () => {
  t = await createTestDatabase();
  proxy = await startStallProxy(Number(new URL(t.url).port));
});
afterAll(async () => {
  await listener?.stop();
  await proxy?.close();
  await t?.drop();
});

it('reconnects when the connection stalls between connect and LISTEN', { timeout: 60_000 }, async () => {
  proxy.freezeOnce('herald-listener', 'LISTEN');
  let listening = 0;
  const log = createLogger('listener-test');
  log.level = 'fatal';
  listener = new Listener({
    url: proxy.urlFor(t.url),
    channels: ['herald_wakeup'],
    onNotify: () => {},
    onListening: () => listening++,
    pingIntervalMs: 1_000,
    log,
  });
  listener.start();
  await waitFor('the first connection to stall at LISTEN', async () =>
    proxy.connections().some((c) => c.frozenAt !== undefined),
  );
  // Within the ping interval plus its timeout and a backoff, a second connection must listen.
  await waitFor(
    'the listener to give up on the stalled connection and listen again',
    async () => listening > 0,
    15_000,
  );
  expect(
    proxy.connections().filter((c) => c.applicationName === 'herald-listener').length,
  ).toBeGreaterThanOrEqual(2);
});
