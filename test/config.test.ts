import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { freePort } from '../lib/embedded/postgres';
import { withDatabase } from './global-setup';
import { type CliResult, runCli } from './helpers/cli';

/** A failed start prints exactly one line, `herald: …`, on stderr: no stack, no banner. */
function expectOneLineFailure(result: CliResult, mentions: RegExp) {
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^herald: /);
  expect(lines[0]).toMatch(mentions);
}

let dataDir: string;

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-config-'));
});

afterAll(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('start fails fast with one clear line', () => {
  test('when DATABASE_URL points at a server that does not answer', async () => {
    const result = await runCli(['start'], {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/herald',
      PORT: String(await freePort()),
      HERALD_DATA_DIR: dataDir,
    });
    expectOneLineFailure(result, /DATABASE_URL .*127\.0\.0\.1:1.*ECONNREFUSED/);
  });

  test('when DATABASE_URL names a database that does not exist', async () => {
    const url = withDatabase(inject('serverUrl'), 'herald_no_such_database');
    const result = await runCli(['start'], {
      DATABASE_URL: url,
      PORT: String(await freePort()),
      HERALD_DATA_DIR: dataDir,
    });
    expectOneLineFailure(result, /DATABASE_URL .*"herald_no_such_database" does not exist/);
    // The password of the test server's URL (embedded runs have one) is not printed.
    const password = new URL(url).password;
    if (password) expect(result.stderr).not.toContain(password);
  });

  test('when DATABASE_URL is not a PostgreSQL URL', async () => {
    const result = await runCli(['start'], {
      DATABASE_URL: 'mysql://localhost/herald',
      HERALD_DATA_DIR: dataDir,
    });
    expectOneLineFailure(result, /DATABASE_URL: must be a postgres/);
  });

  test('when PORT is not a port number', async () => {
    const result = await runCli(['start'], { PORT: 'eighty', HERALD_DATA_DIR: dataDir });
    expectOneLineFailure(result, /PORT/);
  });

  // Only root hands PostgreSQL to another user; as anyone else the server runs as oneself.
  test.runIf(process.getuid?.() === 0)('when the postgres user cannot reach the data folder', async () => {
    // mkdtemp makes a private folder (mode 700): the postgres user cannot pass through it.
    const result = await runCli(['start'], {
      DATABASE_URL: undefined,
      PORT: String(await freePort()),
      HERALD_DATA_DIR: path.join(dataDir, 'private', 'data'),
    });
    expectOneLineFailure(result, new RegExp(`cannot enter ${dataDir} \\(mode 700\\).*chmod o\\+x`));
  });

  test('when PORT is taken, before starting PostgreSQL', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const result = await runCli(['start'], {
        DATABASE_URL: undefined,
        PORT: String(port),
        HERALD_DATA_DIR: dataDir,
      });
      expectOneLineFailure(result, new RegExp(`port ${port} is already in use`));
      expect(fs.existsSync(path.join(dataDir, 'postgres'))).toBe(false);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
