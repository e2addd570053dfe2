import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../lib/log';
import { publishMany } from '../lib/publish';
import { type RunningSandbox, startSandbox } from '../lib/sandbox/server';
import { endSandboxMaintenance, startSandboxMaintenance } from '../lib/sandbox/settings';
import { createTestDatabase, type TestDatabase, waitFor } from './helpers/db';
import { startWorkerProcess, type WorkerProcess } from './helpers/worker-process';

/**
 * Two real worker processes send email to the Postmark sandbox while it is in maintenance: they
 * share one circuit (herald.circuits), so the provider sees one probe at a time between them,
 * not one per process, and the release after it comes back is paced for both together.
 */
const EMAILS = 60;
const OUTAGE_MS = 6_000;
const PROBE_MS = 200;
const RATE = 20;
const TOKEN = 'herald-sandbox';

let t: TestDatabase;
let sandbox: RunningSandbox;
let workers: WorkerProcess[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  const log = createLogger('circuit-sandbox');
  log.level = 'fatal';
  sandbox = await startSandbox({ port: 0, databaseUrl: t.url, serverToken: TOKEN, log });
  const env = {
    HERALD_SUBSCRIPTIONS: 'test/chaos/fixtures/subscriptions.ts',
    CHAOS_EMAIL: '1',
    POSTMARK_API_URL: sandbox.url,
    HERALD_SANDBOX_TOKEN: TOKEN,
    // Three attempts in all, retried quickly: without the breaker, the outage would kill them all.
    CHAOS_EMAIL_MAX_ATTEMPTS: '3',
    CHAOS_EMAIL_BASE_DELAY_MS: '50',
    CHAOS_EMAIL_MAX_DELAY_MS: '200',
    HERALD_CIRCUIT_FAILURES: '3',
    HERALD_CIRCUIT_PROBE_MS: String(PROBE_MS),
    HERALD_CIRCUIT_PROBE_MAX_MS: String(2 * PROBE_MS),
    HERALD_CIRCUIT_RELEASE_PER_SECOND: String(RATE),
    HERALD_POLL_INTERVAL_MS: '50',
  };
  workers = await Promise.all([startWorkerProcess(t.url, env), startWorkerProcess(t.url, env)]);
}, 120_000);
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await sandbox?.close();
  await t?.drop();
});

describe('two worker processes, one provider outage', () => {
  it('share one circuit: one probe at a time between them, a release paced for both', async () => {
    await startSandboxMaintenance(t.db, { durationMs: OUTAGE_MS + 60_000, actor: 'test' });
    await publishMany(
      t.db,
      Array.from({ length: EMAILS }, (_, n) => ({
        channel: 'email.send' as const,
        payload: { to: `customer${n}@example.com`, subject: `Order ${n}`, text: 'Thank you.' },
      })),
    );
    const [opened] = await Promise.all([
      waitFor('the circuit to open', async () => {
        const [c] = await t.query<{ state: string; opened_at: Date }>(
          `SELECT state, opened_at FROM herald.circuits WHERE subscription = 'email'`,
        );
        return c?.state === 'open' ? c.opened_at : undefined;
      }),
      new Promise((r) => setTimeout(r, OUTAGE_MS)),
    ]);
    const [during] = await t.query<{ probes: number; dead: number }>(
      `SELECT c.probes, (SELECT count(*)::int FROM herald.deliveries WHERE state = 'dead') AS dead
       FROM herald.circuits c WHERE c.subscription = 'email'`,
    );
    expect(during!.dead).toBe(0);
    await endSandboxMaintenance(t.db, 'test');
    const ended = new Date();
    await waitFor(
      `all ${EMAILS} emails sent`,
      async () => {
        const [row] = await t.query<{ done: number; dead: number }>(
          `SELECT count(*) FILTER (WHERE state = 'succeeded')::int AS done,
                  count(*) FILTER (WHERE state = 'dead')::int AS dead
           FROM herald.deliveries WHERE subscription = 'email'`,
        );
        if (row!.dead > 0) throw new Error(`${row!.dead} deliveries are dead`);
        return row!.done === EMAILS;
      },
      60_000,
    );

    // Both processes worked on the subscription…
    const [who] = await t.query<{ workers: number }>(
      `SELECT count(DISTINCT a.worker)::int AS workers FROM herald.attempts a
       JOIN herald.deliveries d ON d.id = a.delivery_id WHERE d.subscription = 'email'`,
    );
    expect(who!.workers).toBe(2);
    // …and once the circuit was open the provider saw the probes alone, one at a time: never two
    // closer together than the first probe wait, whichever process sent them. (The deliveries
    // each process held when it opened, running and claimed ahead, are refused once each; on a
    // loaded machine the last of them arrive up to a second or so later, so the spacing is
    // checked from 2 s after the opening, and they are counted in the total.)
    const [refused] = await t.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM herald.sandbox_messages WHERE status = 'rejected'`,
    );
    expect(refused!.n).toBeLessThanOrEqual(during!.probes + 2 * (10 + 10));
    // Timed by when each handler started (the attempt's started_at, taken right after its claim),
    // not by when the request reached the sandbox, which a loaded machine delays unevenly.
    const probes = await t.query<{ at: Date; worker: string }>(
      `SELECT a.started_at AS at, a.worker FROM herald.attempts a JOIN herald.deliveries d ON d.id = a.delivery_id
       WHERE d.subscription = 'email' AND a.outcome = 'failed' AND a.error_code = 'postmark_100'
         AND a.started_at > $1::timestamptz + interval '2 seconds' AND a.started_at < $2
       ORDER BY a.started_at`,
      [opened, ended],
    );
    expect(probes.length).toBeGreaterThan(0);
    expect(probes.length).toBeLessThanOrEqual(during!.probes);
    const times = probes.map((p) => new Date(p.at).getTime());
    for (let i = 1; i < times.length; i++)
      expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(PROBE_MS - 100);

    // Every email exactly once, none before the end, at no more than the rate for both together.
    const sent = await t.query<{ at: Date; subject: string }>(
      `SELECT received_at AS at, subject FROM herald.sandbox_messages WHERE status = 'accepted' ORDER BY received_at`,
    );
    expect(sent).toHaveLength(EMAILS);
    expect(new Set(sent.map((s) => s.subject)).size).toBe(EMAILS);
    const at = sent.map((s) => new Date(s.at).getTime());
    expect(at[0]!).toBeGreaterThanOrEqual(ended.getTime() - 1_000); // the maintenance flag is read per request
    for (let i = 0; i < at.length; i++) {
      let j = i;
      while (j < at.length && at[j]! < at[i]! + 1_000) j++;
      expect(j - i).toBeLessThanOrEqual(2 * RATE);
    }
    expect(EMAILS - 1).toBeLessThanOrEqual(RATE * ((at.at(-1)! - at[0]!) / 1000) + RATE);
    const [spent] = await t.query<{ max: number }>(
      `SELECT max(attempts - attempts_before_replay)::int AS max FROM herald.deliveries WHERE subscription = 'email'`,
    );
    expect(spent!.max).toBeLessThanOrEqual(3);
  }, 180_000);
});
