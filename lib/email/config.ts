import path from 'node:path';
import { persistedSecret } from '../auth/config';
import { type Config, config } from '../config';

export const POSTMARK_API_URL = 'https://api.postmarkapp.com';

/** The file in HERALD_DATA_DIR that holds the sandbox's webhook password. */
export const SANDBOX_WEBHOOK_PASSWORD_FILE = 'postmark-webhook-password';

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

const generated = new Map<string, string>();

/**
 * The webhook password the sandbox and the app agree on when none is configured: random, one per
 * installation, generated on first use and kept in HERALD_DATA_DIR beside the auth secret (mode
 * 0600). The start command runs the app and the sandbox from the same folder, so both read the
 * same file. Cached per folder: the route asks on every webhook.
 */
export function sandboxWebhookPassword(dataDir: string): string {
  const key = path.resolve(dataDir);
  let password = generated.get(key);
  if (password === undefined) {
    password = persistedSecret(dataDir, SANDBOX_WEBHOOK_PASSWORD_FILE);
    generated.set(key, password);
  }
  return password;
}

/**
 * The basic-auth credentials Postmark's webhooks must carry; undefined refuses every post.
 * POSTMARK_WEBHOOK_PASSWORD when set; else, in sandbox mode only (no POSTMARK_SERVER_TOKEN), the
 * installation's generated password. With a real token and no password, every post is refused.
 */
export function webhookCredentials(cfg: Config = config()): WebhookCredentials | undefined {
  const password =
    cfg.POSTMARK_WEBHOOK_PASSWORD ??
    (cfg.POSTMARK_SERVER_TOKEN === undefined ? sandboxWebhookPassword(cfg.HERALD_DATA_DIR) : undefined);
  return password === undefined ? undefined : { user: cfg.POSTMARK_WEBHOOK_USER, password };
}

/** The URL to give Postmark (or the sandbox): Herald's webhook endpoint with the credentials in it. */
export function webhookUrl(baseUrl: string, credentials: WebhookCredentials): string {
  const url = new URL('/api/v1/webhooks/postmark', baseUrl);
  url.username = credentials.user;
  url.password = credentials.password;
  return url.toString();
}
