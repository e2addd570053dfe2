import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertRunner } from '../lib/alerts/runner';
import { runCli } from './helpers/cli';
import { createTestDatabase, type TestDatabase } from './helpers/db';

/**
 * `herald alerts list|set|test` as an operator runs it: its own process against the database.
 * For `test`, an alert runner in this process plays the running worker that sends the message.
 */
let t: TestDatabase;
let env: Record<string, string | undefined>;
const received: string[] = [];
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    received.push(body);
    res.end('ok');
  });
});

beforeAll(async () => {
  t = await createTestDatabase();
  env = { DATABASE_URL: t.url };
  await t.query(`INSERT INTO herald.subscriptions (name, channel_pattern) VALUES ('mail', 'order.*')`);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack`;
  await t.query(
    `INSERT INTO herald.alert_destinations (name, kind, url) VALUES ('team-slack', 'slack', $1)`,
    [url],
  );
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await t?.drop();
});

describe('herald alerts', () => {
  it('set changes a rule for one subscription or all, audited as the CLI user; bad input is one line', async () => {
    const set = await runCli(
      [
        'alerts',
        'set',
        'stall',
        '--subscription',
        'mail',
        '--window',
        '2m',
        '--repeat',
        '30m',
        '--reason',
        'tight',
      ],
      env,
    );
    expect(set.stderr).toBe('');
    expect(set.stdout).toContain('rule stall for mail: on, window 120 s');
    expect(
      (await runCli(['alerts', 'set', 'failure_rate', '--threshold', '40', '--off'], env)).stdout,
    ).toContain('rule failure_rate for every subscription: off');
    const bad = await runCli(['alerts', 'set', 'failure_rate', '--threshold', '400'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('threshold: a percentage: at most 100');
    const unknown = await runCli(['alerts', 'set', 'sleepy'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('kind');
    const [audit] = await t.query<{ actor: string; reason: string }>(
      `SELECT actor, reason FROM herald.audit_log WHERE action = 'alert.rule_set' ORDER BY id LIMIT 1`,
    );
    expect(audit?.actor).toMatch(/^cli:/);
    expect(audit?.reason).toBe('tight');
  }, 60_000);

  it('list shows rules and destinations without their URLs', async () => {
    const list = await runCli(['alerts', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/stall\s+mail\s+on\s+120/);
    expect(list.stdout).toMatch(/failure_rate\s+\*\s+off/);
    expect(list.stdout).toContain('team-slack (slack)');
    expect(list.stdout).not.toContain('127.0.0.1');
  }, 60_000);

  it('test queues a test alert that a running worker sends, and says it was accepted', async () => {
    const runner = new AlertRunner({
      pool: t.pool,
      log: pino({ level: 'silent' }),
      intervalMs: 60_000,
      timeoutMs: 3_000,
      publicUrl: 'https://herald.example',
      envDestinations: [],
      email: () => {
        throw new Error('no email here');
      },
      sendIntervalMs: 100,
    });
    runner.start();
    try {
      const run = await runCli(['alerts', 'test', 'team-slack'], env);
      expect(run.stdout).toContain('sent: the destination accepted it');
      expect(run.code).toBe(0);
      expect(JSON.parse(received[0] ?? '{}').text).toContain('[TEST] Herald alert test for team-slack');
    } finally {
      await runner.stop();
    }
    const missing = await runCli(['alerts', 'test', 'nobody'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no alert destination "nobody"');
  }, 60_000);
});
