import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { apiKeyScopes, apiKeys } from '../db/schema';
import { HeraldError } from '../errors';
import { asDate } from '../queries/time';
import { type ApiKeyScope, type Permission, type Principal, scopePermissions } from './principal';

/**
 * API keys: `hk_<prefix>_<secret>`, where the prefix (8 hex characters) is public and shown in
 * listings, and the secret is 32 random bytes (base64url). Only SHA-256 of the whole key is
 * stored. A slow password hash (bcrypt, argon2) protects guessable secrets; 256 random bits
 * cannot be guessed, so a fast hash loses nothing and keeps the lookup one indexed equality.
 */
const KEY_PATTERN = /^hk_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$/;
/** Channel patterns a key may publish to: a channel name, optionally with `*` wildcards. */
export const publishPatternFormat = /^[a-z0-9*][a-z0-9._*-]{0,199}$/;
export const apiKeyNameFormat = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

export function hashApiKey(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function generateApiKey(): { token: string; prefix: string; hash: string } {
  const prefix = randomBytes(4).toString('hex');
  const token = `hk_${prefix}_${randomBytes(32).toString('base64url')}`;
  return { token, prefix, hash: hashApiKey(token) };
}

/** A well-formed key, or null: malformed strings never reach the database. */
export function parseApiKey(token: string): { prefix: string } | null {
  const m = KEY_PATTERN.exec(token);
  return m ? { prefix: m[1]! } : null;
}

export interface ApiKeyInfo {
  id: number;
  name: string;
  prefix: string;
  scopes: ApiKeyScope[];
  publishChannels: string[];
  rateLimitPerMinute: number;
  createdAt: Date;
  createdBy: string | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export interface NewApiKey {
  name: string;
  scopes: readonly ApiKeyScope[];
  /** Required with the `publish` scope: the channel patterns it may publish to (`order.*`, `*`). */
  publishChannels?: readonly string[];
  rateLimitPerMinute: number;
  createdBy: string;
}

export function isApiKeyScope(s: string): s is ApiKeyScope {
  return (apiKeyScopes as readonly string[]).includes(s);
}

function checkNewKey(input: NewApiKey): void {
  const problems: { path: string; message: string }[] = [];
  if (!apiKeyNameFormat.test(input.name))
    problems.push({
      path: 'name',
      message: 'letters, digits and . _ : - (at most 100), starting with a letter or digit',
    });
  if (input.scopes.length === 0 || !input.scopes.every(isApiKeyScope))
    problems.push({ path: 'scopes', message: `one or more of ${apiKeyScopes.join(', ')}` });
  const channels = input.publishChannels ?? [];
  if (input.scopes.includes('publish') && channels.length === 0)
    problems.push({
      path: 'publishChannels',
      message: 'a publish key needs channel patterns (e.g. order.* or *)',
    });
  for (const c of channels)
    if (!publishPatternFormat.test(c))
      problems.push({ path: 'publishChannels', message: `invalid pattern "${c}"` });
  if (
    !Number.isInteger(input.rateLimitPerMinute) ||
    input.rateLimitPerMinute < 1 ||
    input.rateLimitPerMinute > 1_000_000
  )
    problems.push({ path: 'rateLimitPerMinute', message: 'an integer from 1 to 1000000' });
  if (problems.length > 0) throw new HeraldError('invalid_request', 'invalid API key settings', problems);
}

type KeyRow = {
  id: number;
  name: string;
  prefix: string;
  scopes: string[];
  publish_channels: string[];
  rate_limit_per_minute: number;
  created_at: Date | string;
  created_by: string | null;
  revoked_at: Date | string | null;
  last_used_at: Date | string | null;
};

function toInfo(r: KeyRow): ApiKeyInfo {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    scopes: r.scopes.filter(isApiKeyScope),
    publishChannels: r.publish_channels,
    rateLimitPerMinute: r.rate_limit_per_minute,
    createdAt: asDate(r.created_at),
    createdBy: r.created_by,
    revokedAt: asDate(r.revoked_at),
    lastUsedAt: asDate(r.last_used_at),
  };
}

/** Creates a key and returns its secret: the only time it is ever visible. Audited. */
export async function createApiKey(db: Db, input: NewApiKey): Promise<{ key: ApiKeyInfo; token: string }> {
  checkNewKey(input);
  const { token, prefix, hash } = generateApiKey();
  return db.transaction(async (tx) => {
    const { rows } = await tx.execute<KeyRow>(sql`
      INSERT INTO herald.api_keys (name, prefix, secret_hash, scopes, publish_channels, rate_limit_per_minute, created_by)
      VALUES (${input.name}, ${prefix}, ${hash}, ${`{${input.scopes.join(',')}}`}::text[],
              ${`{${(input.publishChannels ?? []).join(',')}}`}::text[], ${input.rateLimitPerMinute}, ${input.createdBy})
      ON CONFLICT (name) DO NOTHING
      RETURNING *`);
    const row = rows[0];
    if (!row) throw new HeraldError('conflict', `an API key named "${input.name}" already exists`);
    await tx.execute(sql`
      INSERT INTO herald.audit_log (actor, action, target, details)
      VALUES (${input.createdBy}, 'api_key.create', ${`api-key:${input.name}`},
              ${JSON.stringify({ prefix, scopes: input.scopes, publishChannels: input.publishChannels ?? [] })}::jsonb)`);
    return { key: toInfo(row), token };
  });
}

export async function listApiKeys(db: Db): Promise<ApiKeyInfo[]> {
  const { rows } = await db.execute<KeyRow>(sql`SELECT * FROM herald.api_keys ORDER BY name`);
  return rows.map(toInfo);
}

/** Revokes by name or prefix. Takes effect on the next request: every use re-checks the key in the database. */
export async function revokeApiKey(db: Db, nameOrPrefix: string, actor: string): Promise<ApiKeyInfo | null> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.execute<KeyRow>(sql`
      UPDATE herald.api_keys SET revoked_at = now()
      WHERE (name = ${nameOrPrefix} OR prefix = ${nameOrPrefix}) AND revoked_at IS NULL
      RETURNING *`);
    const row = rows[0];
    if (!row) return null;
    await tx.execute(sql`
      INSERT INTO herald.audit_log (actor, action, target)
      VALUES (${actor}, 'api_key.revoke', ${`api-key:${row.name}`})`);
    return toInfo(row);
  });
}

export interface ActiveApiKey {
  id: number;
  name: string;
  scopes: ApiKeyScope[];
  publishChannels: string[];
  rateLimitPerMinute: number;
}

/**
 * The active key with this secret, or null (unknown, malformed or revoked), from the database:
 * a revoked key fails on the very next request in every process. The lookup is one prepared,
 * index-sized statement.
 */
export async function findActiveApiKey(db: Db, token: string): Promise<ActiveApiKey | null> {
  if (!parseApiKey(token)) return null;
  const secretHash = hashApiKey(token);
  const rows = await lookupStatement(db).execute({ hash: secretHash });
  const r = rows[0];
  if (!r) {
    seen.delete(secretHash);
    return null;
  }
  const key = { ...r, scopes: r.scopes.filter(isApiKeyScope) };
  remember(secretHash, key);
  return key;
}

/**
 * Keys this process has found active before, by secret hash. Not an authority: whoever uses one
 * must re-check it in the statement that acts on it (herald.publish_one_as_key fences the
 * publish on the key being active), which saves the separate lookup on the hot path. Keys never
 * change after creation except by revocation, so a remembered row is the current row whenever
 * that re-check passes. Only keys that were valid are kept, so unknown tokens cannot fill it.
 */
const seen = new Map<string, ActiveApiKey>();
const MAX_SEEN = 10_000;

function remember(secretHash: string, key: ActiveApiKey) {
  if (!seen.has(secretHash) && seen.size >= MAX_SEEN) seen.delete(seen.keys().next().value!);
  seen.set(secretHash, key);
}

export interface SeenApiKey {
  key: ActiveApiKey;
  secretHash: string;
}

/** The key behind this token as last found active in this process, or null; see `seen`. */
export function seenApiKey(token: string): SeenApiKey | null {
  if (!parseApiKey(token)) return null;
  const secretHash = hashApiKey(token);
  const key = seen.get(secretHash);
  return key ? { key, secretHash } : null;
}

/** Forget a key whose re-check failed. */
export function forgetApiKey(secretHash: string): void {
  seen.delete(secretHash);
}

// A named prepared statement per pool: PostgreSQL parses and plans the lookup once per connection.
const prepared = new WeakMap<Db, ReturnType<typeof prepareLookup>>();
function prepareLookup(db: Db) {
  return db
    .select({
      id: apiKeys.id,
      name: apiKeys.name,
      scopes: apiKeys.scopes,
      publishChannels: apiKeys.publishChannels,
      rateLimitPerMinute: apiKeys.rateLimitPerMinute,
    })
    .from(apiKeys)
    .where(and(eq(apiKeys.secretHash, sql.placeholder('hash')), isNull(apiKeys.revokedAt)))
    .prepare('herald_api_key_by_hash');
}
function lookupStatement(db: Db) {
  let statement = prepared.get(db);
  if (!statement) {
    statement = prepareLookup(db);
    prepared.set(db, statement);
  }
  return statement;
}

export function apiKeyPrincipal(key: ActiveApiKey): Principal {
  const permissions = new Set<Permission>(key.scopes.flatMap((s) => scopePermissions[s]));
  return {
    kind: 'api-key',
    id: String(key.id),
    name: key.name,
    actor: `api-key:${key.name}`,
    permissions,
    publishPatterns: key.publishChannels,
  };
}

const TOUCH_INTERVAL_MS = 60_000;
const lastTouched = new Map<number, number>();

/**
 * Records that a key was used, at most once a minute per key and process, so the hot path
 * normally costs no write. Fire-and-forget: a failed touch must not fail the request.
 */
export function touchApiKey(db: Db, id: number, now = Date.now()): void {
  const last = lastTouched.get(id);
  if (last !== undefined && now - last < TOUCH_INTERVAL_MS) return;
  lastTouched.set(id, now);
  db.execute(sql`
    UPDATE herald.api_keys SET last_used_at = now()
    WHERE id = ${id} AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`).catch(() =>
    lastTouched.delete(id),
  );
}
