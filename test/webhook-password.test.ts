import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort } from '../lib/embedded/postgres';
import { setupAuthDatabase, userWithSession } from './auth-helpers';
import { projectRoot } from './helpers/cli';
import { type TestDatabase, waitFor } from './helpers/db';

/**
 * Issue #18, item 6: in sandbox mode (no POSTMARK_SERVER_TOKEN) the Postmark webhook accepted a
 * password written in the source code, so anyone who could reach /api/v1/webhooks/postmark
 * could post deliveries and bounces. Each installation now generates its own, kept in the data
 * folder beside the auth secret; the sandbox posts with it, and only admins see it. The route
 * also stops reading a body as soon as it passes the limit, instead of buffering it all first.
 */
const OLD_DEFAULT_PASSWORD = 'herald-sandbox-webhook';

const nav = vi.hoisted(() => ({ headers: new Headers() }));
vi.mock('next/headers', () => ({
  headers: async () => nav.headers,
  cookies: async () => ({ get: () => undefined, getAll: () => [], has: () => false }),
}));

let t: TestDatabase;
let dataDir: string;
const scratch: string[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-webhook-pw-'));
  scratch.push(dir);
  return dir;
}

beforeAll(async () => {
  t = await setupAuthDatabase();
  dataDir = tempDir();
  process.env.HERALD_DATA_DIR = dataDir;
  for (const name of [
    'POSTMARK_SERVER_TOKEN',
    'POSTMARK_WEBHOOK_PASSWORD',
    'POSTMARK_API_URL',
    'HERALD_PUBLIC_URL',
  ])
    delete process.env[name];
});
afterAll(async () => {
  const { sharedPool } = await import('../lib/db/client');
  await sharedPool().end();
  await t?.drop();
  for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
});

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function delivery() {
  return JSON.stringify({
    RecordType: 'Delivery',
    MessageID: '00000000-0000-4000-8000-000000000001',
    Recipient: 'a@example.com',
    DeliveredAt: '2026-05-01T10:00:00Z',
    MessageStream: 'outbound',
  });
}

async function postWebhook(authorization: string): Promise<number> {
  const { POST } = await import('../app/api/v1/webhooks/postmark/route');
  const response = await POST(
    new Request('http://localhost:3000/api/v1/webhooks/postmark', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: delivery(),
    }),
  );
  return response.status;
}

describe('the sandbox webhook password', () => {
  it('the old public default password no longer opens the webhook', async () => {
    expect(await postWebhook(basic('postmark', OLD_DEFAULT_PASSWORD))).toBe(401);
    const [{ n }] = (await t.query<{ n: number }>('SELECT count(*)::int AS n FROM herald.email_events')) as [
      { n: number },
    ];
    expect(n).toBe(0);
  });

  it("the installation's own password, kept in the data folder (mode 0600), does", async () => {
    const file = path.join(dataDir, 'postmark-webhook-password');
    const password = fs.readFileSync(file, 'utf8').trim();
    expect(password.length).toBeGreaterThanOrEqual(32);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const { webhookCredentials } = await import('../lib/email/config');
    expect(webhookCredentials()).toEqual({ user: 'postmark', password });
    expect(await postWebhook(basic('postmark', password))).toBe(200);
  });

  it('two installations (data folders) get different passwords, each kept across restarts', async () => {
    const { parseConfig } = await import('../lib/config');
    const { webhookCredentials } = await import('../lib/email/config');
    const [a, b] = [tempDir(), tempDir()];
    const first = webhookCredentials(parseConfig({ HERALD_DATA_DIR: a }))!.password;
    const second = webhookCredentials(parseConfig({ HERALD_DATA_DIR: b }))!.password;
    expect(first).not.toBe(second);
    expect([first, second]).not.toContain(OLD_DEFAULT_PASSWORD);
    // A restart (a fresh process reads the file again) keeps it.
    expect(fs.readFileSync(path.join(a, 'postmark-webhook-password'), 'utf8').trim()).toBe(first);
    expect(webhookCredentials(parseConfig({ HERALD_DATA_DIR: a }))!.password).toBe(first);
    // A configured password still wins, and with a real Postmark token nothing is generated.
    expect(
      webhookCredentials(parseConfig({ HERALD_DATA_DIR: a, POSTMARK_WEBHOOK_PASSWORD: 'configured-pw' })),
    ).toEqual({ user: 'postmark', password: 'configured-pw' });
    const c = tempDir();
    expect(
      webhookCredentials(parseConfig({ HERALD_DATA_DIR: c, POSTMARK_SERVER_TOKEN: 'real' })),
    ).toBeUndefined();
    expect(fs.existsSync(path.join(c, 'postmark-webhook-password'))).toBe(false);
  });

  it('the sandbox process (as the start command runs it) posts webhooks with the same password', async () => {
    const { webhookCredentials } = await import('../lib/email/config');
    const { updateSandboxControls } = await import('../lib/sandbox/settings');
    const expected = webhookCredentials()!.password;
    const seen: string[] = [];
    const receiver = http.createServer((req, res) => {
      seen.push(req.headers.authorization ?? '');
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const appUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    await updateSandboxControls(t.db, { webhookDelayMs: 10 }, 'test');
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: t.url,
      HERALD_DATA_DIR: dataDir,
      HERALD_SANDBOX_PORT: String(port),
      HERALD_APP_URL: appUrl,
      LOG_LEVEL: 'silent',
    };
    let child: ChildProcess | undefined;
    try {
      child = spawn(process.execPath, ['--import', 'tsx', 'lib/sandbox/main.ts'], {
        cwd: projectRoot,
        env,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const running = child;
      await new Promise<void>((resolve, reject) => {
        running.once('message', () => resolve());
        running.once('exit', (code) => reject(new Error(`the sandbox exited (${code})`)));
      });
      const sent = await fetch(`http://127.0.0.1:${port}/email`, {
        method: 'POST',
        headers: {
          accept: 'application/json',
          'content-type': 'application/json',
          'x-postmark-server-token': 'herald-sandbox',
        },
        body: JSON.stringify({
          From: 'shop@example.com',
          To: 'ada@example.com',
          Subject: 'Hi',
          TextBody: 'Hi',
        }),
      });
      expect(sent.status).toBe(200);
      await waitFor('the sandbox webhook', async () => seen.length > 0, 20_000);
      expect(seen[0]).toBe(basic('postmark', expected));
    } finally {
      child?.kill('SIGTERM');
      receiver.closeAllConnections();
      await new Promise((r) => receiver.close(r));
    }
  });

  it("is on the sandbox page for admins only, with the URL to paste; other roles' pages do not contain it", async () => {
    const { default: SandboxPage } = await import('../app/sandbox/page');
    const { webhookCredentials } = await import('../lib/email/config');
    const password = webhookCredentials()!.password;
    const pageText = async (cookie: string) => {
      nav.headers = new Headers({ cookie });
      return collectText(await SandboxPage({ searchParams: Promise.resolve({}) }));
    };
    const admin = await pageText(await userWithSession(t, 'admin'));
    expect(admin).toContain(password);
    expect(admin).toContain(
      `http://postmark:${encodeURIComponent(password)}@localhost:3000/api/v1/webhooks/postmark`,
    );
    for (const role of ['viewer', 'support', 'operator'] as const) {
      const text = await pageText(await userWithSession(t, role));
      expect({ role, shown: text.includes(password) }).toEqual({ role, shown: false });
    }
  });
});

/** Every string in a rendered element tree (props included), so a secret cannot hide in one. */
function collectText(node: unknown, seen = new Set<unknown>()): string {
  if (typeof node === 'string' || typeof node === 'number') return `${node}\n`;
  if (node === null || typeof node !== 'object' || seen.has(node)) return '';
  seen.add(node);
  if (Array.isArray(node)) return node.map((n) => collectText(n, seen)).join('');
  return Object.values(node as Record<string, unknown>)
    .map((v) => collectText(v, seen))
    .join('');
}

describe('the webhook body limit', () => {
  /** A body that never says how long it is, in 64 KiB chunks, counting what was pulled. */
  function streamedBody(chunks: number) {
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    const state = { pulled: 0, cancelled: false };
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (state.pulled >= chunks) return controller.close();
        state.pulled++;
        controller.enqueue(chunk);
      },
      cancel() {
        state.cancelled = true;
      },
    });
    return { stream, state };
  }

  async function send(stream: ReadableStream<Uint8Array>) {
    const { receivePostmarkWebhook } = await import('../lib/email/webhook-request');
    const credentials = { user: 'postmark', password: 'stream-test-pw' };
    const request = new Request('http://localhost/api/v1/webhooks/postmark', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic('postmark', 'stream-test-pw') },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(request.headers.get('content-length')).toBeNull();
    const timeout = new Promise<'still reading'>((r) => setTimeout(() => r('still reading'), 5_000));
    return Promise.race([receivePostmarkWebhook(t.db, request, credentials), timeout]);
  }

  it('a 64 MiB streamed body with no content-length gets 413 after about 1 MiB was read', async () => {
    const { stream, state } = streamedBody(1024);
    const answer = await send(stream);
    expect(answer).toMatchObject({ status: 413 });
    // 1 MiB is 16 chunks; a reader that buffers first pulls all 1,024.
    expect(state.pulled).toBeLessThan(40);
    expect(state.cancelled).toBe(true);
  });

  it('a body that never ends gets 413 instead of being read forever', async () => {
    const { stream, state } = streamedBody(Number.POSITIVE_INFINITY);
    const answer = await send(stream);
    expect(answer).toMatchObject({ status: 413 });
    expect(state.cancelled).toBe(true);
  });
});
