import { HeraldError } from '../errors';

/**
 * Who is asking, whatever the way in: a dashboard user (session cookie) or a program (API key).
 * Route handlers ask `require(principal, permission)`; nothing else decides access.
 */
export type Permission =
  /** Publish events (API keys: only to their channel patterns). */
  | 'publish'
  /** See events, deliveries, attempts, stats — payloads and recipients masked without `read:payloads`. */
  | 'read'
  | 'read:payloads'
  /** Replay, retry now or discard ONE delivery (support users must give a reason). */
  | 'deliveries:act'
  /** Give up on ONE delivery for good (discard). */
  | 'deliveries:discard'
  /** Bulk replay / discard by filter. */
  | 'deliveries:bulk'
  /** Pause and resume subscriptions; control the email sandbox. */
  | 'subscriptions:operate'
  /** Users and API keys. */
  | 'admin';

export type Role = 'viewer' | 'support' | 'operator' | 'admin';
export const roles: readonly Role[] = ['viewer', 'support', 'operator', 'admin'];

export const rolePermissions: Record<Role, readonly Permission[]> = {
  viewer: ['read'],
  support: ['read', 'read:payloads', 'deliveries:act'],
  operator: [
    'read',
    'read:payloads',
    'deliveries:act',
    'deliveries:discard',
    'deliveries:bulk',
    'subscriptions:operate',
  ],
  admin: [
    'read',
    'read:payloads',
    'deliveries:act',
    'deliveries:discard',
    'deliveries:bulk',
    'subscriptions:operate',
    'admin',
  ],
};

/** API key scopes and what each grants. */
export type ApiKeyScope = 'publish' | 'read' | 'operate';
export const scopePermissions: Record<ApiKeyScope, readonly Permission[]> = {
  publish: ['publish'],
  read: ['read', 'read:payloads'],
  operate: ['deliveries:act', 'deliveries:discard', 'deliveries:bulk', 'subscriptions:operate'],
};

export interface Principal {
  kind: 'user' | 'api-key';
  id: string;
  /** For people: the email; for keys: the key's name. */
  name: string;
  /** How the audit log names them: `user:ada@example.com`, `api-key:checkout-service`. */
  actor: string;
  role?: Role;
  permissions: ReadonlySet<Permission>;
  /** API keys with `publish`: the channel patterns they may publish to (`order.*`, `*`). */
  publishPatterns?: readonly string[];
  /**
   * People: the session this request came with, so that a long-lived response (the event
   * stream) can re-check that it still exists (lib/auth/still-valid.ts).
   */
  sessionId?: string;
}

export function can(principal: Principal, permission: Permission): boolean {
  return principal.permissions.has(permission);
}

/** Throws `forbidden` (403) unless the principal has the permission. */
export function requirePermission(principal: Principal, permission: Permission): void {
  if (!can(principal, permission)) {
    throw new HeraldError(
      'forbidden',
      `this ${principal.kind === 'user' ? 'account' : 'API key'} may not ${permission}`,
    );
  }
}

/** Channel pattern match with the same rules as herald.channel_matches in SQL. */
export function channelMatches(pattern: string, channel: string): boolean {
  if (pattern === channel) return true;
  if (!pattern.includes('*')) return false;
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\-]/g, '\\$&'))
      .join('.*')}$`,
  );
  return regex.test(channel);
}

export function canPublishTo(principal: Principal, channel: string): boolean {
  if (!can(principal, 'publish')) return false;
  if (principal.kind === 'user') return true;
  return (principal.publishPatterns ?? []).some((p) => channelMatches(p, channel));
}
