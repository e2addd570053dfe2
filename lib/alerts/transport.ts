import type { AlertDestinationKind } from '../db/schema';
import type { EmailSettings } from '../email/config';
import { createPostmarkSender } from '../email/postmark';
import type { AlertMessage } from './message';
import { signedHeaders } from './signing';

/** A destination as the sender needs it (secrets included: only the worker reads this). */
export interface Destination {
  id: number;
  name: string;
  kind: AlertDestinationKind;
  url: string | null;
  secret: string | null;
  emails: string[] | null;
}

export interface TransportOptions {
  /** Longest one request may take; past it the send fails and is retried later. */
  timeoutMs: number;
  /** Email goes through the same Postmark settings (or sandbox) as customer email. */
  email: () => EmailSettings;
}

/** Why a send failed, kept on the message row (a few hundred characters, no secrets). */
export class TransportError extends Error {
  override name = 'TransportError';
}

async function post(url: string, body: string, headers: Record<string, string>, timeoutMs: number) {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Herald-Alerts', ...headers },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
  } catch (error) {
    const cause =
      (error as Error).name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : String((error as { cause?: unknown }).cause ?? (error as Error).message);
    throw new TransportError(cause.slice(0, 300));
  }
  const text = await response.text().catch(() => '');
  if (!response.ok) throw new TransportError(`HTTP ${response.status}: ${text.slice(0, 200)}`);
}

/** Slack incoming webhooks take `{text}` (mrkdwn) plus optional Block Kit blocks. */
export function slackBody(message: AlertMessage): string {
  const icon =
    message.event === 'resolved'
      ? ':white_check_mark:'
      : message.severity === 'critical'
        ? ':rotating_light:'
        : message.severity === 'info'
          ? ':information_source:'
          : ':warning:';
  const text = `${icon} ${message.text}\n<${message.link}|Open in Herald>`;
  return JSON.stringify({ text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });
}

/** Sends one message to one destination; throws TransportError when it was not accepted. */
export async function send(
  destination: Destination,
  message: AlertMessage,
  messageId: number,
  options: TransportOptions,
): Promise<void> {
  switch (destination.kind) {
    case 'slack':
      if (!destination.url) throw new TransportError('no URL');
      return post(destination.url, slackBody(message), {}, options.timeoutMs);
    case 'webhook': {
      if (!destination.url) throw new TransportError('no URL');
      const body = JSON.stringify(message);
      const headers = destination.secret
        ? signedHeaders(destination.secret, `herald-alert-${messageId}`, body)
        : {};
      return post(destination.url, body, headers, options.timeoutMs);
    }
    case 'email': {
      const settings = options.email();
      const sender = createPostmarkSender({
        ...settings,
        timeoutSeconds: Math.ceil(options.timeoutMs / 1000),
      });
      try {
        await sender.send(
          {
            to: (destination.emails ?? []).join(', '),
            subject: message.text.slice(0, 200),
            textBody: `${message.text}\n\n${message.summary}\n\nOpen in Herald: ${message.link}\nThe alert: ${message.alertLink}\n`,
            tag: 'herald-alert',
          },
          AbortSignal.timeout(options.timeoutMs),
        );
      } catch (error) {
        throw new TransportError(`Postmark: ${String((error as Error).message).slice(0, 300)}`);
      }
      return;
    }
  }
}
