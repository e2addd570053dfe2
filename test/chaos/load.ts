import { channels as appChannels } from '../../lib/channels';
import { createDb, createPool } from '../../lib/db/client';
import { createPublisher } from '../../lib/publish';
import { testChannels } from '../fixtures/channels';
import { publishRoute } from './app';
import { sleep } from './scale';

export const chaosChannels = { ...testChannels, ...appChannels };
const { publish } = createPublisher(chaosChannels);

export type LoadItem =
  | { channel: 'test.event'; payload: { n: number; mode?: 'ok' | 'sleep'; ms?: number; times?: number } }
  | { channel: 'email.send'; payload: { to: string; subject: string; text: string } };

export interface LoadOptions {
  /** The library publishes through its own pool, named `herald-publisher`. */
  databaseUrl: string;
  /**
   * With a token, a second lane publishes order.approved through POST /api/v1/events (the
   * route handler; the API knows only the app's channels).
   */
  apiToken?: string;
  perSecond: number;
  item: (n: number) => LoadItem;
}

function apiItem(n: number) {
  return {
    channel: 'order.approved',
    payload: {
      orderId: `chaos-${n}`,
      customer: { email: `customer${n}@example.com`, name: 'Chaos' },
      total: 10,
    },
    key: `order:chaos-${n}`,
  };
}

/**
 * A steady publish load. Only acknowledged events count as published; a publish that fails
 * (connection killed, server restarting) may still have committed — the ledger finds those in
 * the database and owes them a delivery too. Each lane publishes one event at a time, so a
 * stalled database slows the load instead of piling up requests.
 */
export class PublishLoad {
  readonly acked = new Set<number>();
  sent = 0;
  failed = 0;
  viaApi = 0;
  rejected: string[] = [];
  private stopping = false;
  private lanes: Promise<void>[] = [];
  private readonly pool;

  constructor(private readonly options: LoadOptions) {
    this.pool = createPool(options.databaseUrl, {
      max: 2,
      applicationName: 'herald-publisher',
      queryTimeoutMs: 15_000,
    });
  }

  start(maxMs: number): this {
    const lanes = this.options.apiToken ? 2 : 1;
    const interval = (1000 * lanes) / this.options.perSecond;
    const deadline = Date.now() + maxMs; // bounded even if nobody calls stop()
    let n = 0;
    const lane = async (api: boolean) => {
      while (!this.stopping && Date.now() < deadline) {
        const started = Date.now();
        await this.publishOne(n++, api);
        await sleep(Math.max(0, interval - (Date.now() - started)));
      }
    };
    this.lanes = [lane(false)];
    if (this.options.apiToken) this.lanes.push(lane(true));
    return this;
  }

  private async publishOne(n: number, api: boolean) {
    const idempotencyKey = `chaos-${n}`;
    this.sent++;
    try {
      if (api) {
        this.viaApi++;
        const res = await publishRoute(
          new Request('http://127.0.0.1/api/v1/events', {
            method: 'POST',
            headers: { authorization: `Bearer ${this.options.apiToken}`, 'content-type': 'application/json' },
            body: JSON.stringify({ ...apiItem(n), idempotencyKey }),
          }),
          { params: Promise.resolve({}) },
        );
        const body = (await res.json()) as { id?: number; error?: { message?: string } };
        if (res.status < 300 && typeof body.id === 'number') this.acked.add(body.id);
        else if (res.status < 500) this.rejected.push(`${res.status} ${body.error?.message}`);
        else this.failed++;
      } else {
        const item = this.options.item(n);
        const e = await publish(createDb(this.pool), item.channel, item.payload, { idempotencyKey });
        this.acked.add(e.id);
      }
    } catch {
      this.failed++; // outcome unknown: the ledger decides from what the database holds
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.lanes);
    await this.pool.end().catch(() => {});
  }
}
