import pg from 'pg';
import type { Logger } from '../log';

export interface ListenerOptions {
  url: string;
  channels: readonly string[];
  /** A notification arrived. */
  onNotify: (channel: string, payload: string) => void;
  /** LISTEN is (re)established: sweep now for anything published while we were not listening. */
  onListening: () => void;
  /** How often to check the connection is alive; a dead one is replaced. */
  pingIntervalMs: number;
  log: Logger;
  /** How the connection shows in pg_stat_activity. Default `herald-listener`. */
  applicationName?: string;
  /**
   * Reconnect when the connection is lost. Default true. False leaves a lost listener down for
   * good, and its process on its polling alone: the chaos suite sets it (through
   * test/chaos/worker-without-reconnect.ts) to show that its network-stall scenario notices a listener
   * that stays down. Nothing else should.
   */
  reconnect?: boolean;
}

/**
 * One dedicated LISTEN connection per process (a worker's wake-ups; a server's live feed). A pooled client would lose its LISTEN when returned to the
 * pool, and a silently dropped TCP connection may never emit 'error' (node-postgres #967), so
 * it pings with a short timeout and reconnects with jittered exponential backoff. After every
 * (re)connect it LISTENs first and then asks for a sweep, so nothing published in the gap is
 * missed (notifications sent while no one listens are lost for good).
 */
export class Listener {
  private client: pg.Client | undefined;
  private stopped = false;
  private failures = 0;
  private pingTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  reconnects = 0;
  /** True while LISTEN is in place. */
  get connected(): boolean {
    return this.client !== undefined && this.failures === 0 && this.listening;
  }
  private listening = false;

  constructor(private readonly options: ListenerOptions) {}

  start() {
    void this.connect();
  }

  private async connect() {
    if (this.stopped) return;
    const client = new pg.Client({
      connectionString: this.options.url,
      keepAlive: true,
      keepAliveInitialDelayMillis: 5_000,
      connectionTimeoutMillis: 5_000,
      // LISTEN runs before the health ping starts: bound it too, or a connection that goes
      // silent between connect and LISTEN leaves the listener deaf for good.
      query_timeout: 5_000,
      application_name: this.options.applicationName ?? 'herald-listener',
    });
    this.client = client;
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    client.on('notification', (n) => this.options.onNotify(n.channel, n.payload ?? ''));
    try {
      await client.connect();
      for (const channel of this.options.channels)
        await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
    } catch (error) {
      this.lost(client, error);
      return;
    }
    if (this.client !== client) return;
    this.failures = 0;
    this.listening = true;
    this.options.log.debug({ channels: this.options.channels }, 'listening');
    this.schedulePing(client);
    this.options.onListening();
  }

  private schedulePing(client: pg.Client) {
    clearTimeout(this.pingTimer);
    this.pingTimer = setTimeout(async () => {
      if (this.client !== client) return;
      const timeout = new Promise((_, reject) =>
        setTimeout(
          () => reject(new Error('health query timed out')),
          Math.min(3_000, this.options.pingIntervalMs),
        ).unref(),
      );
      try {
        await Promise.race([client.query('SELECT 1'), timeout]);
        this.schedulePing(client);
      } catch (error) {
        this.lost(client, error);
      }
    }, this.options.pingIntervalMs);
    this.pingTimer.unref();
  }

  private lost(client: pg.Client, error: unknown) {
    if (this.client !== client) return; // already replaced
    this.client = undefined;
    this.listening = false;
    clearTimeout(this.pingTimer);
    // Destroy the socket: end() would wait on a connection that may never answer.
    (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    client.end().catch(() => {});
    if (this.stopped) return;
    this.failures++;
    this.reconnects++;
    const ceiling = Math.min(10_000, 100 * 2 ** Math.min(this.failures, 10));
    const delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    this.options.log.warn(
      { err: String((error as Error)?.message ?? error), retryInMs: delay },
      'listener connection lost',
    );
    if (this.options.reconnect === false) return;
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }

  async stop() {
    this.stopped = true;
    clearTimeout(this.pingTimer);
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }
}
