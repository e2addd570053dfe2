import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db';

/**
 * Issue #18 item 8: the first-run setup link makes whoever holds it the first admin. In
 * production, stdout is usually a log pipeline (journald, a container runtime, a log shipper)
 * readable by far more people than the server's files: the token must not go there. It goes to
 * `<HERALD_DATA_DIR>/setup-link.txt` (0600), and to the terminal when one is attached.
 */
let t: TestDatabase;
let dataDir: string;
const saved = { NODE_ENV: process.env.NODE_ENV, isTTY: process.stdout.isTTY };

beforeAll(async () => {
  t = await createTestDatabase();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-setup-link-'));
  process.env.DATABASE_URL = t.url;
  process.env.HERALD_AUTH_SECRET = 'test-secret-test-secret-test-secret-0123';
  process.env.HERALD_DATA_DIR = dataDir;
});
afterEach(() => {
  vi.restoreAllMocks();
  (process.env as Record<string, string | undefined>).NODE_ENV = saved.NODE_ENV;
  Object.defineProperty(process.stdout, 'isTTY', { value: saved.isTTY, configurable: true, writable: true });
});
afterAll(async () => {
  const { sharedPool } = await import('../lib/db/client');
  await sharedPool().end();
  await t?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** Everything the process writes to stdout, stderr or the console while `fn` runs. */
async function captureOutput(fn: () => Promise<void>): Promise<string> {
  let out = '';
  const grab = (chunk: unknown) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(grab as typeof process.stdout.write);
  vi.spyOn(process.stderr, 'write').mockImplementation(grab as typeof process.stderr.write);
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const)
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      out += `${args.map(String).join(' ')}\n`;
    });
  await fn();
  vi.restoreAllMocks();
  return out;
}

function setTerminal(isTTY: boolean) {
  Object.defineProperty(process.stdout, 'isTTY', { value: isTTY, configurable: true, writable: true });
}

const linkFile = () => path.join(dataDir, 'setup-link.txt');
const tokenOf = (text: string) => /\/setup\?token=([A-Za-z0-9_-]{43})/.exec(text)?.[1];

describe('the setup link and the logs', () => {
  it('in production with stdout not a terminal, the setup token is not logged; the 0600 file has it', async () => {
    (process.env as Record<string, string>).NODE_ENV = 'production';
    setTerminal(false);
    const { announceSetupLink } = await import('../lib/auth/announce');
    const logged = await captureOutput(() => announceSetupLink());

    const fileText = fs.readFileSync(linkFile(), 'utf8');
    const token = tokenOf(fileText);
    expect(token, 'the file holds the link').toBeDefined();
    expect(fs.statSync(linkFile()).mode & 0o777).toBe(0o600);
    expect(logged).not.toContain(token!);
    expect(logged).not.toMatch(/token=/);
    // The operator is still told where to find it.
    expect(logged).toContain(linkFile());
  });

  it('in production with a terminal attached, the link is shown on it (and kept in the file)', async () => {
    (process.env as Record<string, string>).NODE_ENV = 'production';
    setTerminal(true);
    const { announceSetupLink } = await import('../lib/auth/announce');
    const shown = await captureOutput(() => announceSetupLink());
    const token = tokenOf(fs.readFileSync(linkFile(), 'utf8'));
    expect(token).toBeDefined();
    expect(shown).toContain(token!);
  });

  it('`herald start` on a terminal shows the link the web process kept out of its log', async () => {
    const { setupLinkNotice } = await import('../lib/auth/announce');
    const token = tokenOf(fs.readFileSync(linkFile(), 'utf8'))!;
    expect(setupLinkNotice(dataDir)).toContain(token);
    fs.rmSync(linkFile());
    expect(setupLinkNotice(dataDir)).toBeNull();
  });
});
