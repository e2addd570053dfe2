import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApiKey, findActiveApiKey, listApiKeys, revokeApiKey } from '../lib/auth/api-keys';
import { setUserDisabled } from '../lib/auth/users';
import { request, setupAuthDatabase } from './auth-helpers';
import { runCli } from './helpers/cli';
import type { TestDatabase } from './helpers/db';
import { sessionCookieFor } from './helpers/session';

/**
 * Issue #18 item 8: `api-key revoke` (CLI, DELETE /api/auth/api-keys/[key], revokeApiKey) takes
 * an exact id or prefix, never a name that may equal another key's prefix; and admins see who
 * created each key, including keys whose creator has been disabled.
 */
type Handler<P> = (request: Request, context: { params: Promise<P> }) => Promise<Response>;
let t: TestDatabase;
let revokeRoute: Handler<{ key: string }>;
let listRoute: Handler<Record<string, never>>;
let adminCookie: string;

beforeAll(async () => {
  t = await setupAuthDatabase();
  ({ DELETE: revokeRoute } = await import('../app/api/auth/api-keys/[key]/route'));
  ({ GET: listRoute } = await import('../app/api/auth/api-keys/route'));
  adminCookie = await sessionCookieFor(t, 'admin', 'root@example.com');
});
afterAll(async () => {
  const { sharedPool } = await import('../lib/db/client');
  await sharedPool().end();
  await t?.drop();
});

/** Names differ per attempt, so that CI's retry of a test does not meet its first try's keys. */
let run = 0;
beforeEach(() => {
  run++;
});
const newKey = (name: string, createdBy = 'test') =>
  createApiKey(t.db, { name, scopes: ['read'], rateLimitPerMinute: 1000, createdBy });

/** Key B, and key A whose NAME is B's prefix: the string an operator might paste to revoke B. */
async function lookalikes(tag: string) {
  const victim = await newKey(`victim-${tag}`);
  const decoy = await newKey(victim.key.prefix);
  return { victim, decoy, ref: victim.key.prefix };
}

const isActive = async (token: string) => (await findActiveApiKey(t.db, token)) !== null;

function deleteKey(ref: string, cookie = adminCookie) {
  return revokeRoute(
    request(`/api/auth/api-keys/${encodeURIComponent(ref)}`, { method: 'DELETE', headers: { cookie } }),
    { params: Promise.resolve({ key: encodeURIComponent(ref) }) },
  );
}

describe('revoking a key named like another key’s prefix', () => {
  it('revokeApiKey with the prefix revokes the key with that prefix, not the key with that name', async () => {
    const { victim, decoy, ref } = await lookalikes('lib');
    const revoked = await revokeApiKey(t.db, ref, 'test');
    expect(revoked.id).toBe(victim.key.id);
    expect(await isActive(victim.token)).toBe(false);
    expect(await isActive(decoy.token)).toBe(true);
  });

  it('revokeApiKey refuses a name: the key named by it stays active', async () => {
    const key = await newKey('by-name-only');
    await expect(revokeApiKey(t.db, 'by-name-only', 'test')).rejects.toMatchObject({
      code: 'invalid_request',
    });
    expect(await isActive(key.token)).toBe(true);
  });

  it('revokeApiKey takes an exact id, hk_<prefix> and id:<n>, and nothing looser', async () => {
    const a = await newKey(`exact-id-${run}`);
    const b = await newKey(`exact-hk-${run}`);
    const c = await newKey(`exact-id-colon-${run}`);
    expect((await revokeApiKey(t.db, String(a.key.id), 'test')).id).toBe(a.key.id);
    expect((await revokeApiKey(t.db, `hk_${b.key.prefix}`, 'test')).id).toBe(b.key.id);
    expect((await revokeApiKey(t.db, `id:${c.key.id}`, 'test')).id).toBe(c.key.id);
    // A partial prefix matches nothing, however unique. (Six characters that happen to be all
    // digits read as a key id, which then does not exist: not_found, and still nothing revoked.)
    const d = await newKey(`partial-${run}`);
    await expect(revokeApiKey(t.db, d.key.prefix.slice(0, 6), 'test')).rejects.toMatchObject({
      code: /^\d+$/.test(d.key.prefix.slice(0, 6)) ? 'not_found' : 'invalid_request',
    });
    await expect(revokeApiKey(t.db, `${d.key.prefix.slice(0, 7)}z`, 'test')).rejects.toMatchObject({
      code: 'invalid_request',
    });
    expect(await isActive(d.token)).toBe(true);
  });

  it('revokeApiKey refuses an unknown reference and an already revoked key with a clear error', async () => {
    await expect(revokeApiKey(t.db, '00000000', 'test')).rejects.toMatchObject({ code: 'not_found' });
    await expect(revokeApiKey(t.db, '987654321', 'test')).rejects.toMatchObject({ code: 'not_found' });
    const k = await newKey('twice');
    await revokeApiKey(t.db, k.key.prefix, 'test');
    await expect(revokeApiKey(t.db, k.key.prefix, 'test')).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('already revoked'),
    });
  });

  it('revokeApiKey refuses an 8-digit reference that is one key’s id and another’s prefix', async () => {
    // Give a key an all-digit prefix, then an id equal to it: both readings of "12345678" exist.
    const byPrefix = await newKey('digits-prefix');
    await t.query(`UPDATE herald.api_keys SET prefix = '12345678' WHERE id = $1`, [byPrefix.key.id]);
    await t.query(
      `INSERT INTO herald.api_keys (id, name, prefix, secret_hash, scopes)
       OVERRIDING SYSTEM VALUE VALUES (12345678, 'digits-id', 'abcdabcd', 'x', '{read}')`,
    );
    await expect(revokeApiKey(t.db, '12345678', 'test')).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/ambiguous/),
    });
    const left = await t.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM herald.api_keys WHERE id IN (12345678, $1) AND revoked_at IS NULL`,
      [byPrefix.key.id],
    );
    expect(left[0]?.n).toBe(2);
    expect((await revokeApiKey(t.db, 'hk_12345678', 'test')).id).toBe(byPrefix.key.id);
    expect((await revokeApiKey(t.db, 'id:12345678', 'test')).name).toBe('digits-id');
  });

  it('DELETE /api/auth/api-keys/<prefix> revokes the prefixed key, not the one named like it', async () => {
    const { victim, decoy, ref } = await lookalikes('route');
    const response = await deleteKey(ref);
    expect(response.status).toBe(200);
    expect((await response.json()).key.id).toBe(victim.key.id);
    expect(await isActive(victim.token)).toBe(false);
    expect(await isActive(decoy.token)).toBe(true);
    // The decoy's name is not a way to reach it: a second DELETE hits the revoked victim again.
    expect((await deleteKey(ref)).status).toBe(409);
    expect(await isActive(decoy.token)).toBe(true);
  });

  it('DELETE /api/auth/api-keys/<name> is refused (422) and revokes nothing', async () => {
    const key = await newKey('route-by-name');
    const response = await deleteKey('route-by-name');
    expect(response.status).toBe(422);
    expect((await response.json()).error.message).toMatch(/id or prefix/);
    expect(await isActive(key.token)).toBe(true);
    expect((await deleteKey('ffffffff')).status).toBe(404);
  });

  it('herald api-key revoke <prefix> revokes the prefixed key, not the one named like it', async () => {
    const { victim, decoy, ref } = await lookalikes('cli');
    const env = { DATABASE_URL: t.url };
    const r = await runCli(['api-key', 'revoke', ref], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(victim.key.name);
    expect(await isActive(victim.token)).toBe(false);
    expect(await isActive(decoy.token)).toBe(true);

    const named = await newKey('cli-by-name');
    const refused = await runCli(['api-key', 'revoke', 'cli-by-name'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^herald: api-key revoke: .*id or prefix/);
    expect(await isActive(named.token)).toBe(true);
  });
});

describe('who created a key, and keys whose creator is disabled', () => {
  it('lists each key’s creator and flags, and filters, keys whose creator is disabled', async () => {
    await sessionCookieFor(t, 'admin', 'leaver@example.com');
    await sessionCookieFor(t, 'admin', 'stayer@example.com');
    const leaverKey = await newKey('made-by-leaver', 'user:leaver@example.com');
    const stayerKey = await newKey('made-by-stayer', 'user:stayer@example.com');
    const cliKey = await newKey('made-by-cli', 'cli:deploy');
    const leaverId = (
      await t.query<{ id: string }>(`SELECT id FROM herald.users WHERE email = 'leaver@example.com'`)
    )[0]!.id;
    await setUserDisabled(t.db, leaverId, true, 'test');

    const all = await listApiKeys(t.db);
    const byName = new Map(all.map((k) => [k.name, k]));
    expect(byName.get('made-by-leaver')).toMatchObject({
      createdBy: 'user:leaver@example.com',
      creatorDisabled: true,
    });
    expect(byName.get('made-by-stayer')).toMatchObject({
      createdBy: 'user:stayer@example.com',
      creatorDisabled: false,
    });
    expect(byName.get('made-by-cli')).toMatchObject({ createdBy: 'cli:deploy', creatorDisabled: false });
    const orphaned = await listApiKeys(t.db, { creatorDisabled: true });
    expect(orphaned.map((k) => k.id)).toEqual([leaverKey.key.id]);

    // The HTTP API: the same fields, and ?creator=disabled.
    const list = async (query = '') =>
      (await (
        await listRoute(request(`/api/auth/api-keys${query}`, { headers: { cookie: adminCookie } }), {
          params: Promise.resolve({}),
        })
      ).json()) as { keys: { id: number; createdBy: string; creatorDisabled: boolean }[] };
    const listed = (await list()).keys;
    expect(listed.find((k) => k.id === leaverKey.key.id)).toMatchObject({
      createdBy: 'user:leaver@example.com',
      creatorDisabled: true,
    });
    expect(listed.find((k) => k.id === stayerKey.key.id)?.creatorDisabled).toBe(false);
    expect((await list('?creator=disabled')).keys.map((k) => k.id)).toEqual([leaverKey.key.id]);

    // The CLI: a CREATED BY column with the flag, and --creator-disabled.
    const env = { DATABASE_URL: t.url };
    const table = await runCli(['api-key', 'list'], env);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/CREATED BY/);
    expect(table.stdout).toMatch(/made-by-leaver .*user:leaver@example\.com \(disabled\)/);
    expect(table.stdout).toMatch(/made-by-cli .*cli:deploy/);
    const filtered = await runCli(['api-key', 'list', '--creator-disabled', '--json'], env);
    expect(filtered.code, filtered.stderr).toBe(0);
    expect(JSON.parse(filtered.stdout).map((k: { id: number }) => k.id)).toEqual([leaverKey.key.id]);
    expect(cliKey.key.createdBy).toBe('cli:deploy');
  });

  it('the admin page shows the creator, a "creator disabled" badge and a filter', async () => {
    const { renderToStaticMarkup } = await import('react-dom/server');
    const { ApiKeysTable } = await import('../app/admin/api-keys/keys-table');
    const keys = await listApiKeys(t.db);
    const html = renderToStaticMarkup(ApiKeysTable({ keys, filter: 'all' }));
    expect(html).toContain('user:leaver@example.com');
    expect(html).toContain('creator disabled');
    expect(html).toContain('href="/admin/api-keys?creator=disabled"');
    const only = renderToStaticMarkup(
      ApiKeysTable({ keys: keys.filter((k) => k.creatorDisabled), filter: 'creator-disabled' }),
    );
    expect(only).toContain('made-by-leaver');
    expect(only).not.toContain('made-by-stayer');
  });
});
