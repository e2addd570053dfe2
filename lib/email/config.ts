import { type Config, config } from '../config';

export const POSTMARK_API_URL = 'https://api.postmarkapp.com';

/**
 * The webhook password the sandbox and the app agree on when none is configured. Only ever
 * used in sandbox mode (no POSTMARK_SERVER_TOKEN): with a real token, webhooks need a
 * configured password, else every post is refused.
 */
export const SANDBOX_WEBHOOK_PASSWORD = 'herald-sandbox-webhook';

export interface EmailSettings {
  /** True when email goes to the local sandbox rather than to Postmark. */
  sandbox: boolean;
  serverToken: string;
  apiUrl: string;
  messageStream: string;
  from: string;
}

/** Where and how email is sent, from the configuration. */
export function emailSettings(cfg: Config = config()): EmailSettings {
  const sandbox = cfg.POSTMARK_SERVER_TOKEN === undefined;
  return {
    sandbox,
    serverToken: cfg.POSTMARK_SERVER_TOKEN ?? cfg.HERALD_SANDBOX_TOKEN,
    apiUrl:
      cfg.POSTMARK_API_URL ?? (sandbox ? `http://127.0.0.1:${cfg.HERALD_SANDBOX_PORT}` : POSTMARK_API_URL),
    messageStream: cfg.POSTMARK_MESSAGE_STREAM,
    from: cfg.EMAIL_FROM,
  };
}

export interface WebhookCredentials {
  user: string;
  password: string;
}

/** The basic-auth credentials Postmark's webhooks must carry; undefined refuses every post. */
export function webhookCredentials(cfg: Config = config()): WebhookCredentials | undefined {
  const password =
    cfg.POSTMARK_WEBHOOK_PASSWORD ??
    (cfg.POSTMARK_SERVER_TOKEN === undefined ? SANDBOX_WEBHOOK_PASSWORD : undefined);
  return password === undefined ? undefined : { user: cfg.POSTMARK_WEBHOOK_USER, password };
}

/** The URL to give Postmark (or the sandbox): Herald's webhook endpoint with the credentials in it. */
export function webhookUrl(baseUrl: string, credentials: WebhookCredentials): string {
  const url = new URL('/api/v1/webhooks/postmark', baseUrl);
  url.username = credentials.user;
  url.password = credentials.password;
  return url.toString();
}
