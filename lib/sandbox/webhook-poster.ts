import type { Logger } from '../log';

/** One record the sandbox posts back, shaped like Postmark's Delivery and Bounce webhooks. */
export type SandboxWebhook =
  | {
      RecordType: 'Delivery';
      ServerID: number;
      MessageStream: string;
      MessageID: string;
      Recipient: string;
      Tag: string;
      DeliveredAt: string;
      Details: string;
      Metadata: Record<string, string>;
    }
  | {
      RecordType: 'Bounce';
      ID: number;
      Type: 'HardBounce';
      TypeCode: 1;
      Name: 'Hard bounce';
      ServerID: number;
      MessageStream: string;
      MessageID: string;
      Tag: string;
      Description: string;
      Details: string;
      Email: string;
      From: string;
      BouncedAt: string;
      Subject: string;
      Inactive: true;
      CanActivate: true;
      DumpAvailable: false;
      Metadata: Record<string, string>;
    };

/** After a failed post, try again after these delays (Postmark retries for hours; a sandbox needs less). */
const RETRY_DELAYS_MS = [1_000, 5_000, 30_000];

export interface WebhookPosterOptions {
  /** Herald's webhook URL, with basic-auth credentials in it, as one configures Postmark. */
  url: string;
  log: Logger;
  /** Called once per record when it was posted (error null) or given up on. */
  onOutcome: (record: SandboxWebhook, error: string | null) => Promise<void>;
}

/**
 * Posts webhooks back to Herald after a delay, in the background, like Postmark. fetch()
 * refuses URLs with credentials, so they move from the URL into an Authorization header.
 */
export class WebhookPoster {
  private readonly target: string;
  private readonly authorization: string | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly options: WebhookPosterOptions) {
    const url = new URL(options.url);
    this.authorization =
      url.username === ''
        ? undefined
        : `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    url.username = '';
    url.password = '';
    this.target = url.toString();
  }

  schedule(record: SandboxWebhook, delayMs: number, retry = 0) {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.post(record, retry);
    }, delayMs);
    this.timers.add(timer);
  }

  private async post(record: SandboxWebhook, retry: number) {
    let error: string | null = null;
    try {
      const response = await fetch(this.target, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          ...(this.authorization ? { Authorization: this.authorization } : {}),
        },
        body: JSON.stringify(record),
        signal: AbortSignal.timeout(10_000),
      });
      await response.body?.cancel();
      // Postmark retries on anything but 2xx, except 403 which stops retries.
      if (!response.ok) error = `HTTP ${response.status}`;
      if (response.status === 403) retry = RETRY_DELAYS_MS.length;
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    if (error !== null && retry < RETRY_DELAYS_MS.length && !this.closed) {
      this.options.log.warn(
        { messageId: record.MessageID, err: error, retry },
        'webhook post failed; will retry',
      );
      this.schedule(record, RETRY_DELAYS_MS[retry]!, retry + 1);
      return;
    }
    await this.options.onOutcome(record, error).catch((e) => {
      this.options.log.warn({ err: String(e) }, 'could not record a webhook outcome');
    });
  }

  close() {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
