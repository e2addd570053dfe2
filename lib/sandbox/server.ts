import { randomInt } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDb, createPool, type Db } from '../db/client';
import { createLogger, type Logger } from '../log';
import { bouncesOnDelivery } from './addresses';
import { recordMessages, recordWebhookOutcome } from './messages';
import {
  ANSWERS,
  type Endpoint,
  type HandledMessage,
  handleMessage,
  type PostmarkAnswer,
} from './postmark-api';
import {
  getSandboxControls,
  listInactiveAddresses,
  markAddressInactive,
  type SandboxControls,
  sandboxControlsPatch,
  updateSandboxControls,
} from './settings';
import { type SandboxWebhook, WebhookPoster } from './webhook-poster';

export interface SandboxOptions {
  /** 0 picks a free port (tests). */
  port: number;
  host?: string;
  databaseUrl: string;
  /** Herald's webhook URL with basic auth in it; no webhooks are posted when omitted. */
  webhookUrl?: string;
  /** The X-Postmark-Server-Token the sandbox accepts. Default 'herald-sandbox'. */
  serverToken?: string;
  log?: Logger;
}

export interface RunningSandbox {
  /** e.g. http://127.0.0.1:4025 — what POSTMARK_API_URL should say. */
  url: string;
  port: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024; // Postmark's limit for a whole request
const ENDPOINTS: Record<string, Endpoint> = {
  '/email': 'email',
  '/email/batch': 'batch',
  '/email/withTemplate': 'withTemplate',
};

class HttpAnswer {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

/**
 * A local server speaking Postmark's email API, for development, the demo and tests: it stores
 * what it receives in herald.sandbox_messages, obeys the controls in herald.sandbox_settings
 * (maintenance, failure rate, latency, inactive addresses) and posts Delivery and Bounce
 * webhooks back to Herald. Run it from the start command when no POSTMARK_SERVER_TOKEN is set.
 */
export async function startSandbox(options: SandboxOptions): Promise<RunningSandbox> {
  const log = options.log ?? createLogger('herald-sandbox');
  const pool = createPool(options.databaseUrl, { max: 4, applicationName: 'herald-sandbox' });
  const db = createDb(pool);
  const token = options.serverToken ?? 'herald-sandbox';
  const poster = options.webhookUrl
    ? new WebhookPoster({
        url: options.webhookUrl,
        log,
        onOutcome: async (record, error) => {
          if (record.RecordType === 'Bounce' && error === null) {
            // Like Postmark: a hard bounce deactivates the address for later sends.
            await markAddressInactive(db, record.Email, 'HardBounce');
          }
          await recordWebhookOutcome(db, record.MessageID, record.RecordType, error);
        },
      })
    : undefined;
  const context: Context = { db, token, poster, log };

  const server = http.createServer((req, res) => {
    route(context, req)
      .catch((error) => {
        log.error({ err: error instanceof Error ? error.message : String(error) }, 'sandbox request failed');
        return new HttpAnswer(500, ANSWERS.simulatedFailure);
      })
      .then((answer) => {
        res.writeHead(answer.status, {
          'Content-Type': 'application/json; charset=utf-8',
          ...answer.headers,
        });
        res.end(JSON.stringify(answer.body));
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${options.host ?? '127.0.0.1'}:${address.port}`;
  log.info({ url, webhooks: options.webhookUrl !== undefined }, 'Postmark sandbox listening');

  return {
    url,
    port: address.port,
    async close() {
      poster?.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.end();
    },
  };
}

interface Context {
  db: Db;
  token: string;
  poster: WebhookPoster | undefined;
  log: Logger;
}

async function route(ctx: Context, req: http.IncomingMessage): Promise<HttpAnswer> {
  const path = new URL(req.url ?? '/', 'http://sandbox').pathname;
  if (req.method === 'GET' && path === '/health') return new HttpAnswer(200, { ok: true });
  if (req.headers['x-postmark-server-token'] !== ctx.token) {
    return new HttpAnswer(401, ANSWERS.invalidToken);
  }
  const endpoint = ENDPOINTS[path];
  if (endpoint && req.method === 'POST') return send(ctx, endpoint, await readBody(req));
  if (path === '/admin/settings') return admin(ctx, req);
  return new HttpAnswer(404, {
    ErrorCode: 0,
    Message: `The sandbox does not implement ${req.method} ${path}.`,
  });
}

/** GET / PATCH the controls (same validation as the dashboard's library call). */
async function admin(ctx: Context, req: http.IncomingMessage): Promise<HttpAnswer> {
  if (req.method === 'PATCH') {
    const parsed = sandboxControlsPatch.safeParse(parseJson(await readBody(req)));
    if (!parsed.success)
      return new HttpAnswer(400, { error: { code: 'invalid_request', message: parsed.error.message } });
    await updateSandboxControls(ctx.db, parsed.data, 'sandbox-admin-api');
  } else if (req.method !== 'GET') {
    return new HttpAnswer(405, { error: { code: 'invalid_request', message: 'use GET or PATCH' } });
  }
  return new HttpAnswer(200, await getSandboxControls(ctx.db));
}

async function send(ctx: Context, endpoint: Endpoint, raw: string | undefined): Promise<HttpAnswer> {
  if (raw === undefined) return new HttpAnswer(413, { ErrorCode: 0, Message: 'Request too large.' });
  const controls = await getSandboxControls(ctx.db);
  if (controls.latencyMs > 0) await new Promise((r) => setTimeout(r, controls.latencyMs));

  const body = parseJson(raw);
  if (body === undefined) return new HttpAnswer(422, ANSWERS.invalidJson);
  const batch = endpoint === 'batch';
  if (batch && !Array.isArray(body)) return new HttpAnswer(422, ANSWERS.incompatibleJson);
  const inputs: unknown[] = batch ? (body as unknown[]) : [body];
  if (inputs.length > 500) return new HttpAnswer(422, ANSWERS.tooManyBatchMessages);

  // The inactive list of a sandbox is short: read it whole rather than per recipient.
  const inactive = new Set((await listInactiveAddresses(ctx.db)).map((a) => a.email));
  const handled = inputs.map((input) =>
    handleMessage(endpoint === 'batch' ? 'email' : endpoint, input, inactive),
  );

  const outage = refusal(controls);
  if (outage) {
    await recordMessages(ctx.db, endpoint, handled, {
      httpStatus: outage.status,
      errorCode: (outage.body as PostmarkAnswer).ErrorCode,
      message: (outage.body as PostmarkAnswer).Message,
    });
    return outage;
  }

  await recordMessages(ctx.db, endpoint, handled);
  for (const h of handled) scheduleWebhooks(ctx, h, controls.webhookDelayMs);
  if (batch)
    return new HttpAnswer(
      200,
      handled.map((h) => h.answer),
    );
  const [only] = handled as [HandledMessage];
  return new HttpAnswer(only.httpStatus, only.answer);
}

/** Maintenance (ErrorCode 100, HTTP 503) or a simulated failure (HTTP 500), per the controls. */
function refusal(controls: SandboxControls): HttpAnswer | undefined {
  const headers: Record<string, string> =
    controls.retryAfterSeconds === null ? {} : { 'Retry-After': String(controls.retryAfterSeconds) };
  if (controls.inMaintenance) return new HttpAnswer(503, ANSWERS.maintenance, headers);
  if (controls.failureRate > 0 && Math.random() < controls.failureRate)
    return new HttpAnswer(500, ANSWERS.simulatedFailure, headers);
  return undefined;
}

function scheduleWebhooks(ctx: Context, h: HandledMessage, delayMs: number) {
  const messageId = h.answer.MessageID;
  if (!ctx.poster || h.answer.ErrorCode !== 0 || !messageId) return;
  const metadata = stringRecord(h.request.Metadata);
  const common = {
    ServerID: 1,
    MessageStream: h.fields.messageStream ?? 'outbound',
    MessageID: messageId,
    Tag: h.fields.tag ?? '',
    Metadata: metadata,
  };
  for (const recipient of h.recipients) {
    const at = new Date(Date.now() + delayMs).toISOString();
    const record: SandboxWebhook = bouncesOnDelivery(recipient)
      ? {
          ...common,
          RecordType: 'Bounce',
          ID: randomInt(1, 2 ** 47),
          Type: 'HardBounce',
          TypeCode: 1,
          Name: 'Hard bounce',
          Description: 'The server was unable to deliver your message (ex: unknown user, mailbox not found).',
          Details: 'sandbox: simulated hard bounce',
          Email: recipient,
          From: h.fields.from ?? '',
          BouncedAt: at,
          Subject: h.fields.subject ?? '',
          Inactive: true,
          CanActivate: true,
          DumpAvailable: false,
        }
      : {
          ...common,
          RecordType: 'Delivery',
          Recipient: recipient,
          DeliveredAt: at,
          Details: 'sandbox: accepted by the (simulated) receiving server',
        };
    ctx.poster.schedule(record, delayMs);
  }
}

function stringRecord(value: unknown): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The request body as text, or undefined past Postmark's size limit. */
async function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
