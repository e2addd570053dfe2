import type pg from 'pg';
import type { Logger } from '../log';
import type { AlertMessage } from './message';
import { type Destination, send, type TransportOptions } from './transport';

/**
 * Sends queued alert messages (herald.alert_messages). Each destination is its own queue, oldest
 * first, and its own loop: a claim takes the head message of every destination that this
 * process is not already sending to, and each is sent on its own, so a destination that hangs
 * (at most `timeoutMs` per request) or refuses delays only its own messages. A failed send is
 * retried with backoff (below) by whichever worker process claims it next: the lease (a few
 * timeouts long) hands it on when a process dies mid-send. Any worker may send; a message is sent
 * by one at a time because the claim re-checks the lease on the locked row.
 */

/** 5 s after the first failure, then doubling (10 s, 20 s, …) up to 5 min, ±20 %: ~1.5 h of tries. */
export const MAX_ATTEMPTS = 20;
export function retryDelayMs(attempts: number, random = Math.random): number {
  const base = Math.min(5_000 * 2 ** Math.max(0, attempts - 1), 300_000);
  return Math.round(base * (0.8 + 0.4 * random()));
}

export interface AlertSenderOptions {
  pool: pg.Pool;
  log: Logger;
  transport: TransportOptions;
}

interface Claimed {
  id: number;
  attempts: number;
  payload: AlertMessage;
  destination: Destination;
}

const CLAIM_HEADS = `
  WITH heads AS (
    SELECT DISTINCT ON (m.destination_id) m.id
    FROM herald.alert_messages m
    WHERE m.state = 'pending' AND m.destination_id <> ALL ($1::bigint[])
    ORDER BY m.destination_id, m.id)
  UPDATE herald.alert_messages m
  SET lease_until = now() + $2 * interval '1 millisecond', attempts = m.attempts + 1
  FROM heads
  WHERE m.id = heads.id AND m.next_attempt_at <= now() AND (m.lease_until IS NULL OR m.lease_until < now())
  RETURNING m.id::int, m.attempts, m.payload,
    (SELECT json_build_object('id', d.id::int, 'name', d.name, 'kind', d.kind, 'url', d.url, 'secret', d.secret, 'emails', d.emails)
     FROM herald.alert_destinations d WHERE d.id = m.destination_id) AS destination`;

export class AlertSender {
  /** Destinations this process is sending to right now: not claimed again until done. */
  private readonly busy = new Set<number>();
  private readonly sending = new Set<Promise<void>>();

  constructor(private readonly options: AlertSenderOptions) {}

  /** Claims what is due and starts sending it; does not wait for the sends (see idle()). */
  async tick(): Promise<number> {
    const lease = this.options.transport.timeoutMs * 3 + 5_000;
    const { rows } = await this.options.pool.query<Claimed>(CLAIM_HEADS, [[...this.busy], lease]);
    for (const row of rows) {
      this.busy.add(row.destination.id);
      const work = this.sendOne(row).finally(() => {
        this.busy.delete(row.destination.id);
        this.sending.delete(work);
      });
      this.sending.add(work);
    }
    return rows.length;
  }

  /** Resolves when every send started so far has finished. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.sending]);
  }

  private async sendOne(message: Claimed): Promise<void> {
    const { pool, log } = this.options;
    try {
      await send(message.destination, message.payload, message.id, this.options.transport);
      await pool.query(
        `UPDATE herald.alert_messages SET state = 'sent', sent_at = now(), lease_until = NULL, last_error = NULL
         WHERE id = $1 AND attempts = $2 AND state = 'pending'`,
        [message.id, message.attempts],
      );
    } catch (error) {
      const reason = String((error as Error).message).slice(0, 500);
      const giveUp = message.attempts >= MAX_ATTEMPTS;
      log.warn(
        {
          destination: message.destination.name,
          message: message.id,
          attempt: message.attempts,
          err: reason,
        },
        giveUp ? 'alert message given up' : 'alert message failed; will retry',
      );
      await pool
        .query(
          `UPDATE herald.alert_messages
           SET state = CASE WHEN $4 THEN 'failed' ELSE 'pending' END, last_error = $3, lease_until = NULL,
               next_attempt_at = now() + $5 * interval '1 millisecond'
           WHERE id = $1 AND attempts = $2 AND state = 'pending'`,
          [message.id, message.attempts, reason, giveUp, retryDelayMs(message.attempts)],
        )
        .catch((e) => log.warn({ err: String((e as Error).message) }, 'could not record an alert failure'));
    }
  }
}
