import path from 'node:path';
import { authSettings } from '@/lib/auth/config';
import { config } from '@/lib/config';
import {
  emailSettings,
  SANDBOX_WEBHOOK_PASSWORD_FILE,
  webhookCredentials,
  webhookUrl,
} from '@/lib/email/config';

export interface SandboxWebhookDetails {
  /** Herald's webhook endpoint with the basic-auth credentials in it, as Postmark wants it. */
  url: string;
  user: string;
  password: string;
  /** Where the password comes from, in words. */
  source: string;
}

/**
 * The webhook credentials for the sandbox page. Call it only for admins (the page does): the
 * password opens /api/v1/webhooks/postmark, which records deliveries and bounces. Null when
 * email goes to the real Postmark: the sandbox is not in use then.
 */
export function sandboxWebhookForAdmins(): SandboxWebhookDetails | null {
  if (!emailSettings().sandbox) return null;
  const credentials = webhookCredentials();
  if (!credentials) return null;
  const cfg = config();
  return {
    url: webhookUrl(authSettings().publicUrl, credentials),
    user: credentials.user,
    password: credentials.password,
    source:
      cfg.POSTMARK_WEBHOOK_PASSWORD !== undefined
        ? 'set by POSTMARK_WEBHOOK_PASSWORD'
        : `generated for this installation, kept in ${path.join(cfg.HERALD_DATA_DIR, SANDBOX_WEBHOOK_PASSWORD_FILE)}`,
  };
}

/** Admins only: the webhook password the sandbox posts with, and the URL to paste elsewhere. */
export function SandboxWebhook({ webhook }: { webhook: SandboxWebhookDetails | null }) {
  if (!webhook) return null;
  return (
    <details className="mb-10" data-testid="sandbox-webhook">
      <summary className="mb-3 cursor-pointer text-sm font-semibold uppercase tracking-wide text-zinc-500">
        Webhook credentials (admins)
      </summary>
      <div className="max-w-3xl space-y-2 text-sm text-zinc-600 dark:text-zinc-400">
        <p>
          The sandbox posts its Delivery and Bounce webhooks to Herald with HTTP basic auth: user{' '}
          <code>{webhook.user}</code>, a password {webhook.source}. Anyone with it can record deliveries and
          bounces, so it is shown to admins only. To post webhooks from somewhere else (your own Postmark
          stand-in, curl), use this URL:
        </p>
        <code className="block select-all break-all rounded-md border border-zinc-200 bg-white px-3 py-2 text-zinc-900 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-100">
          {webhook.url}
        </code>
      </div>
    </details>
  );
}
