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
  /** Who created it: an audit actor (`user:ada@example.com`, `cli:deploy`, `setup-link`). */
  createdBy: string | null;
  /**
   * The key was created by a person (`user:…`) whose account is now disabled (or gone): nobody
   * who can still sign in vouches for it, so an admin should review it.
   */
  creatorDisabled: boolean;
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
  creator_disabled?: boolean | null;
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
    creatorDisabled: r.creator_disabled === true,
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

/**
 * Whether a key's creator is a person (`user:<email>`) who can no longer sign in: disabled, or
 * no such account. Emails never change and accounts are never deleted, so the actor names
 * exactly one account.
 */
const creatorDisabledSql = sql`(k.created_by LIKE 'user:%' AND NOT EXISTS (
  SELECT 1 FROM herald.users u WHERE 'user:' || u.email = k.created_by AND NOT u.disabled))`;

export interface ListApiKeysOptions {
  /** Only keys whose creator is (true) or is not (false) a disabled person. */
  creatorDisabled?: boolean;
}

export async function listApiKeys(db: Db, options: ListApiKeysOptions = {}): Promise<ApiKeyInfo[]> {
  const filter =
    options.creatorDisabled === undefined
      ? sql``
      : options.creatorDisabled
        ? sql`WHERE ${creatorDisabledSql}`
        : sql`WHERE NOT ${creatorDisabledSql}`;
  const { rows } = await db.execute<KeyRow>(sql`
    SELECT k.*, ${creatorDisabledSql} AS creator_disabled
    FROM herald.api_keys k ${filter} ORDER BY k.name`);
  return rows.map(toInfo);
}

/** How a key is named for revocation: exactly one of these, never by its name. */
export type ApiKeyRef = { id: number; prefix: string | null } | { id: null; prefix: string };

const REF_HELP =
  "give the key's id (42, id:42) or its 8-character prefix (1a2b3c4d, hk_1a2b3c4d), not its name";

/**
 * Parses a revocation reference: `42` or `id:42` (the id), `1a2b3c4d` or `hk_1a2b3c4d[_…]` (the
 * prefix; a whole key works too, to revoke a leaked one). An 8-digit number reads both ways.
 * Names are refused: a name may be any other key's prefix or id (`api-key create --name 1a2b3c4d`).
 */
export function parseApiKeyRef(input: string): ApiKeyRef | null {
  const ref = input.trim();
  let m = /^id:([1-9][0-9]{0,14})$/.exec(ref);
  if (m) return { id: Number(m[1]), prefix: null };
  m = /^hk_([0-9a-f]{8})(?:_.*)?$/.exec(ref);
  if (m) return { id: null, prefix: m[1]! };
  const id = /^[1-9][0-9]{0,14}$/.test(ref) ? Number(ref) : null;
  const prefix = /^[0-9a-f]{8}$/.test(ref) ? ref : null;
  if (prefix !== null) return { id, prefix };
  if (id !== null) return { id, prefix: null };
  return null;
}

/**
 * Revokes ONE key, named by its exact id or prefix (see `parseApiKeyRef`), and audits it. Takes
 * effect on the next request (every use re-checks the key in the database) and ends the key's open
 * event streams within seconds. Throws `invalid_request` for anything else (a name), `not_found`,
 * `conflict` when the reference is ambiguous (an 8-digit string that is one key's id and another's
 * prefix) or the key is revoked already.
 */
export async function revokeApiKey(db: Db, reference: string, actor: string): Promise<ApiKeyInfo> {
  const ref = parseApiKeyRef(reference);
  if (!ref)
    throw new HeraldError(
      'invalid_request',
      `"${reference.slice(0, 100)}" is not a key id or prefix: ${REF_HELP}`,
    );
  return db.transaction(async (tx) => {
    const { rows } = await tx.execute<KeyRow>(sql`
      SELECT * FROM herald.api_keys
      WHERE id = ${ref.id ?? 0} OR prefix = ${ref.prefix ?? ''}
      ORDER BY id
      FOR UPDATE`);
    if (rows.length > 1)
      throw new HeraldError(
        'conflict',
        `"${reference}" is ambiguous: it is the id of "${rows.find((r) => Number(r.id) === ref.id)?.name}" and the prefix of "${rows.find((r) => r.prefix === ref.prefix)?.name}"; use id:${ref.id} or hk_${ref.prefix}`,
      );
    const row = rows[0];
    if (!row)
      throw new HeraldError(
        'not_found',
        `no API key with ${ref.prefix ? `prefix ${ref.prefix}` : ''}${ref.prefix && ref.id ? ' or ' : ''}${ref.id ? `id ${ref.id}` : ''}`,
      );
    if (row.revoked_at !== null)
      throw new HeraldError(
        'conflict',
        `API key "${row.name}" (prefix ${row.prefix}) was already revoked at ${asDate(row.revoked_at)?.toISOString()}`,
      );
    const { rows: updated } = await tx.execute<KeyRow>(sql`
      UPDATE herald.api_keys SET revoked_at = now() WHERE id = ${row.id} RETURNING *`);
    await tx.execute(sql`
      INSERT INTO herald.audit_log (actor, action, target, details)
      VALUES (${actor}, 'api_key.revoke', ${`api-key:${row.name}`},
              ${JSON.stringify({ id: Number(row.id), prefix: row.prefix })}::jsonb)`);
    return toInfo(updated[0]!);
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
