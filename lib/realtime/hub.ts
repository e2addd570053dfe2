import { randomBytes } from 'node:crypto';
import { Listener } from '../db/listener';
import type { Logger } from '../log';
import { type HubMessage, parseActivity, parseEventId, type StreamEventName } from './messages';

export const ACTIVITY_CHANNEL = 'herald_activity';
export const LISTENER_APPLICATION_NAME = 'herald-app-listener';

export interface HubOptions {
  url: string;
  log: Logger;
  pingIntervalMs: number;
  /** How many recent messages a reconnecting client can resume from. */
  bufferSize?: number;
  /**
   * With a read replica: the primary's WAL position, asked when a notification arrives (so at or
   * past the rollup that sent it) and sent with the activity as `lsn`. The page's next refetch
   * carries it, and is served by the replica only once that has replayed as far (issue 23).
   */
  position?: () => Promise<string | null>;
  applicationName?: string;
}

export type Subscriber = (message: HubMessage) => void;

/** What a new subscriber gets before live messages: the missed ones, or a request to resync. */
export type Catchup = { kind: 'fresh' } | { kind: 'resume'; missed: HubMessage[] } | { kind: 'resync' };

/**
 * The server's side of the live dashboard: ONE LISTEN connection per process, fanned out to
 * every open SSE stream. 50 tabs cost one database connection, and a notification is parsed
 * once, not once per tab. The listener starts with the first subscriber and stays up, so the
 * next tab does not wait for a connection.
 *
 * Ids are `<epoch>:<seq>`: seq is monotonic in this process, the epoch is random per process,
 * so a browser that reconnects to a restarted or different server is told to resync instead of
 * silently missing what happened in between.
 */
export class ActivityHub {
  readonly epoch = randomBytes(6).toString('hex');
  private seq = 0;
  private readonly recent: HubMessage[] = [];
  private readonly subscribers = new Set<Subscriber>();
  private listener: Listener | undefined;
  private listenedBefore = false;

  constructor(private readonly options: HubOptions) {}

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** True while the LISTEN connection is in place. */
  get listening(): boolean {
    return this.listener?.connected ?? false;
  }

  /**
   * Adds a subscriber; `lastEventId` is the browser's Last-Event-ID. Returns what it missed (or
   * that it must resync) and the function that removes it again.
   */
  subscribe(
    subscriber: Subscriber,
    lastEventId: string | null,
  ): { catchup: Catchup; unsubscribe: () => void } {
    this.ensureListening();
    this.subscribers.add(subscriber);
    return {
      catchup: this.catchupFor(lastEventId),
      unsubscribe: () => {
        this.subscribers.delete(subscriber);
      },
    };
  }

  private catchupFor(lastEventId: string | null): Catchup {
    if (lastEventId === null || lastEventId === '') return { kind: 'fresh' };
    const id = parseEventId(lastEventId);
    if (!id || id.epoch !== this.epoch || id.seq > this.seq) return { kind: 'resync' };
    const oldest = this.recent[0]?.seq ?? this.seq + 1;
    // Resumable only if nothing between the client's id and our oldest kept message is gone.
    if (id.seq < oldest - 1) return { kind: 'resync' };
    return { kind: 'resume', missed: this.recent.filter((m) => m.seq > id.seq) };
  }

  /** Sends a message to every subscriber (and keeps it for resuming clients). */
  broadcast(event: StreamEventName, data: string): HubMessage {
    const message: HubMessage = { seq: ++this.seq, event, data };
    this.recent.push(message);
    if (this.recent.length > (this.options.bufferSize ?? 120)) this.recent.shift();
    for (const subscriber of this.subscribers) {
      try {
        subscriber(message);
      } catch (error) {
        // One broken stream must not starve the others.
        this.options.log.warn({ err: String(error) }, 'stream subscriber failed');
        this.subscribers.delete(subscriber);
      }
    }
    return message;
  }

  private ensureListening() {
    if (this.listener) return;
    this.listener = new Listener({
      url: this.options.url,
      channels: [ACTIVITY_CHANNEL],
      pingIntervalMs: this.options.pingIntervalMs,
      log: this.options.log,
      applicationName: this.options.applicationName ?? LISTENER_APPLICATION_NAME,
      onNotify: (_channel, payload) => this.onNotify(payload),
      onListening: () => {
        // Notifications sent while the connection was down are lost for good: every page
        // refetches from the rollups, which are the source of truth.
        if (this.listenedBefore) this.broadcast('resync', JSON.stringify({ reason: 'listener reconnected' }));
        this.listenedBefore = true;
      },
    });
    this.listener.start();
  }

  private onNotify(payload: string) {
    const activity = parseActivity(payload);
    if (!activity) {
      this.options.log.warn({ bytes: payload.length }, 'ignored a malformed herald_activity payload');
      return;
    }
    // Re-serialised: guaranteed one line and only the fields we know.
    const position = this.options.position;
    if (!position) {
      this.broadcast('activity', JSON.stringify(activity));
      return;
    }
    // One after another, so that messages keep the order their notifications came in.
    this.positioned = this.positioned.then(async () => {
      const lsn = await position().catch(() => null);
      this.broadcast('activity', JSON.stringify(lsn ? { ...activity, lsn } : activity));
    });
  }

  private positioned: Promise<void> = Promise.resolve();

  async stop(): Promise<void> {
    this.subscribers.clear();
    await this.listener?.stop();
    this.listener = undefined;
  }
}
