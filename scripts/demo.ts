import { randomInt } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { recordAudit } from '../lib/auth/record-audit';
import type { PayloadInput } from '../lib/channels';
import { createDb, createPool, type Db, databaseUrl } from '../lib/db/client';
import { publish } from '../lib/publish';
import {
  endSandboxMaintenance,
  getSandboxControls,
  markAddressInactive,
  startSandboxMaintenance,
  updateSandboxControls,
} from '../lib/sandbox/settings';

/**
 * The traffic of `npm run demo`, started by `herald demo` once Herald is ready and stopped with
 * it: a shop approving a few orders per second, published the way an application would (inside
 * its own transaction), and one scheduled Postmark maintenance window in the sandbox. Within a
 * minute a newcomer sees confirmations delivered, retries while the sandbox is "down", recovery
 * after it, and dead letters (inactive recipients) waiting for a replay.
 */
const ORDERS_PER_SECOND = 3;
const MAINTENANCE = { startsInMs: 20_000, durationMs: 40_000 };
/**
 * Asked to come back in 10 s while down, every order retries a few times inside the window and
 * goes out within seconds of its end — instead of the default backoff's 10 s, 20 s, 40 s, 80 s
 * that would spread the recovery over a minute or more. Restored when the demo stops.
 */
const RETRY_AFTER_SECONDS = 10;
/** Customers whose address the sandbox treats as inactive (Postmark ErrorCode 406 → dead at once). */
const INACTIVE = ['maria.gone@example.net', 'old.address@example.org'];
/** Postmark's bounce-test address: accepted, then a Bounce webhook, then inactive. */
const BOUNCES = 'hardbounce@bounce-testing.postmarkapp.com';
const ACTOR = 'demo';

const FIRST = ['Ada', 'Grace', 'Alan', 'Katherine', 'Linus', 'Margaret', 'Tim', 'Barbara', 'Ken', 'Radia'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Johnson', 'Torvalds', 'Hamilton', 'Berners-Lee', 'Liskov'];
const CATALOG = [
  { name: 'Espresso beans, 1 kg', price: 24.5 },
  { name: 'Ceramic pour-over dripper', price: 32 },
  { name: 'Paper filters (100)', price: 6.9 },
  { name: 'Burr grinder', price: 149 },
  { name: 'Insulated travel mug', price: 27.95 },
  { name: 'Gooseneck kettle', price: 79 },
  { name: 'Gift card', price: 50 },
];

const say = (line: string) => process.stdout.write(`${line}\n`);
const pick = <T>(list: readonly T[]): T => list[randomInt(list.length)]!;

type Order = PayloadInput<'order.approved'>;

function order(orderId: string): Order {
  const first = pick(FIRST);
  const last = pick(LAST);
  const roll = randomInt(100);
  // 6 % to an inactive address, 2 % to the bounce-test address: enough dead letters to replay.
  const email = roll < 6 ? pick(INACTIVE) : roll < 8 ? BOUNCES : `${first}.${last}@example.com`.toLowerCase();
  const items = Array.from({ length: 1 + randomInt(3) }, () => {
    const product = pick(CATALOG);
    return { name: product.name, quantity: 1 + randomInt(3), price: product.price };
  });
  const total = Math.round(items.reduce((sum, i) => sum + i.price * i.quantity, 0) * 100) / 100;
  return { orderId, customer: { email, name: `${first} ${last}` }, total, currency: 'USD', items };
}

/** The shop's side: approving an order publishes its event in the same transaction. */
async function approve(db: Db, orderId: string) {
  await db.transaction(async (tx) => {
    await publish(tx, 'order.approved', order(orderId), { key: `order:${orderId}`, source: 'demo-shop' });
  });
}

/** One line every few seconds: what the newcomer should be seeing in the dashboard. */
async function progress(db: Db, firstEventId: number, published: number) {
  const { rows } = await db.execute<{ delivered: number; retrying: number; dead: number }>(sql`
    SELECT count(*) FILTER (WHERE d.state = 'succeeded')::int AS delivered,
           count(*) FILTER (WHERE d.state IN ('pending', 'running') AND d.attempts > 0)::int AS retrying,
           count(*) FILTER (WHERE d.state = 'dead')::int AS dead
    FROM herald.deliveries d
    WHERE d.event_id > ${firstEventId} AND d.subscription = 'order-confirmation-email'`);
  const counts = rows[0] ?? { delivered: 0, retrying: 0, dead: 0 };
  const controls = await getSandboxControls(db);
  const now = Date.now();
  const window = controls.inMaintenance
    ? `IN MAINTENANCE until ${controls.maintenanceEndsAt?.toLocaleTimeString() ?? 'further notice'}`
    : controls.maintenanceStartsAt && controls.maintenanceStartsAt.getTime() > now
      ? `maintenance in ${Math.round((controls.maintenanceStartsAt.getTime() - now) / 1000)} s`
      : 'up';
  say(
    `${published} orders · ${counts.delivered} delivered · ${counts.retrying} retrying · ${counts.dead} dead · sandbox ${window}`,
  );
}

async function main() {
  const pool = createPool(databaseUrl(), { max: 2, applicationName: 'herald-demo' });
  const db = createDb(pool);
  const before = await getSandboxControls(db);
  const { rows } = await db.execute<{ last: number }>(
    sql`SELECT coalesce(max(id), 0)::bigint AS last FROM herald.events`,
  );
  const firstEventId = Number(rows[0]?.last ?? 0);

  await updateSandboxControls(db, { retryAfterSeconds: RETRY_AFTER_SECONDS }, ACTOR);
  for (const email of INACTIVE) await markAddressInactive(db, email, 'ManualSuppression');
  await startSandboxMaintenance(db, { ...MAINTENANCE, actor: ACTOR });
  await recordAudit(db, {
    actor: ACTOR,
    action: 'sandbox.update',
    details: { maintenance: MAINTENANCE, retryAfterSeconds: RETRY_AFTER_SECONDS, inactive: INACTIVE },
  });
  say(
    `approving ~${ORDERS_PER_SECOND} orders/s; the sandbox goes into maintenance in ${MAINTENANCE.startsInMs / 1000} s for ${MAINTENANCE.durationMs / 1000} s`,
  );
  say(
    `watch: Overview (/), Sandbox outbox (/sandbox); dead letters are replayable once the address is reactivated`,
  );

  let stopping = false;
  let published = 0;
  const done = new Promise<void>((resolve) => {
    const stop = () => {
      stopping = true;
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  const ticker = setInterval(() => {
    progress(db, firstEventId, published).catch((error: Error) =>
      say(`status unavailable: ${error.message}`),
    );
  }, 5_000);

  // Orders numbered after the newest event, so a second demo run does not repeat order ids.
  const traffic = (async () => {
    while (!stopping) {
      try {
        await approve(db, String(10_000 + firstEventId + published));
        published++;
      } catch (error) {
        say(`could not approve an order: ${error instanceof Error ? error.message : error}`);
      }
      // Poisson-like gaps around the target rate: real traffic is bursty.
      const gap = (-Math.log(1 - Math.random()) * 1000) / ORDERS_PER_SECOND;
      await Promise.race([done, new Promise((r) => setTimeout(r, Math.min(gap, 2_000)))]);
    }
  })();

  await done;
  clearInterval(ticker);
  await traffic;
  // Leave the installation as we found it (no window of ours still pending, the old Retry-After),
  // unless an operator has changed the controls since: theirs win.
  const now = await getSandboxControls(db);
  if (now.updatedBy === ACTOR) {
    if (now.maintenanceEndsAt && now.maintenanceEndsAt.getTime() > Date.now())
      await endSandboxMaintenance(db, ACTOR);
    await updateSandboxControls(db, { retryAfterSeconds: before.retryAfterSeconds }, ACTOR);
  }
  await pool.end();
  say(`stopped after ${published} orders`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`herald demo: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  },
);
