import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as eventsRoute from '../app/api/v1/events/route';
import { call, setupApiDatabase } from './api-helpers';
import { runCli } from './helpers/cli';
import type { TestDatabase } from './helpers/db';

let t: TestDatabase;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  t = await setupApiDatabase();
  env = { DATABASE_URL: t.url };
});
afterAll(() => t?.drop());

describe('herald api-key', () => {
  it('creates a key shown once, which then publishes; lists it; revokes it (refused at once)', async () => {
    const created = await runCli(
      ['api-key', 'create', '--name', 'checkout', '--scopes', 'publish', '--channels', 'sms,order.*'],
      env,
    );
    expect(created.code, created.stderr).toBe(0);
    const token = created.stdout.split('\n')[0]!;
    expect(token).toMatch(/^hk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/);
    const [row] = await t.query<{ secret_hash: string }>(
      `SELECT secret_hash FROM herald.api_keys WHERE name = 'checkout'`,
    );
    expect(row?.secret_hash).not.toContain(token.slice(12));

    const body = { channel: 'sms', payload: { to: '+14155550100', msg: 'cli' } };
    expect((await call(eventsRoute.POST, '/api/v1/events', { token, body })).status).toBe(201);

    const listed = await runCli(['api-key', 'list'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/checkout\s+[0-9a-f]{8}\s+publish\s+sms,order\.\*/);
    expect(listed.stdout).not.toContain(token);

    // By prefix (hk_<8 hex>), never by name.
    const prefix = token.slice(0, 11);
    const revoked = await runCli(['api-key', 'revoke', prefix], env);
    expect(revoked.code).toBe(0);
    expect((await call(eventsRoute.POST, '/api/v1/events', { token, body })).status).toBe(401);
    const json = await runCli(['api-key', 'list', '--json'], env);
    expect(JSON.parse(json.stdout)[0]).toMatchObject({ name: 'checkout', revokedAt: expect.any(String) });
    expect((await runCli(['api-key', 'revoke', prefix], env)).code).toBe(1);
  });

  it('fails with one line and exit 1 on bad input', async () => {
    for (const args of [
      ['api-key', 'create', '--name', 'x'],
      ['api-key', 'create', '--name', 'x', '--scopes', 'root'],
      ['api-key', 'create', '--name', 'x', '--scopes', 'publish'],
      ['api-key', 'nope'],
      ['api-key', 'create', '--bogus'],
    ]) {
      const r = await runCli(args, env);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(/^herald: /);
    }
    const dup = await runCli(['api-key', 'create', '--name', 'dup', '--scopes', 'read'], env);
    expect(dup.code).toBe(0);
    const again = await runCli(['api-key', 'create', '--name', 'dup', '--scopes', 'read'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');
  });

  it('prints help with exit 0', async () => {
    for (const args of [['--help'], ['api-key', '--help'], ['replay', '--help'], ['stats', '-h']]) {
      const r = await runCli(args, env);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/^usage: herald/);
    }
  });
});

describe('herald replay and stats', () => {
  it('counts on --dry-run, then replays dead deliveries of a subscription within --since', async () => {
    await t.query(
      `SELECT herald.publish('sms', '{"to":"+14155550100","msg":"x"}'::jsonb) FROM generate_series(1, 4)`,
    );
    await t.query(
      `UPDATE herald.deliveries SET state = 'dead', finished_at = now(), last_error = 'down' WHERE subscription = 'sms-sender'`,
    );
    await t.query(
      `UPDATE herald.deliveries SET finished_at = now() - interval '5 hours' WHERE id = (SELECT min(id) FROM herald.deliveries WHERE state = 'dead')`,
    );
    const dry = await runCli(['replay', '--subscription', 'sms-sender', '--since', '2h', '--dry-run'], env);
    expect(dry.code, dry.stderr).toBe(0);
    const n = Number(/^(\d+) dead/.exec(dry.stdout)?.[1]);
    expect(n).toBeGreaterThanOrEqual(3);
    const [before] = await t.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM herald.deliveries WHERE state = 'dead'`,
    );
    expect(before?.n).toBe(n + 1);
    const run = await runCli(
      ['replay', '--subscription', 'sms-sender', '--since', '2h', '--reason', 'back up'],
      env,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`replayed ${n} of ${n}`);
    const [after] = await t.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM herald.deliveries WHERE state = 'dead'`,
    );
    expect(after?.n).toBe(1);
    expect((await runCli(['replay', '--since', 'yesterday'], env)).code).toBe(1);
    expect((await runCli(['replay'], env)).code).toBe(1);
  });

  it('prints stats per subscription', async () => {
    const r = await runCli(['stats', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const stats = JSON.parse(r.stdout);
    expect(stats.subscriptions.map((s: { subscription: string }) => s.subscription)).toContain('sms-sender');
    const text = await runCli(['stats'], env);
    expect(text.stdout).toContain('SUBSCRIPTION');
  });
});
