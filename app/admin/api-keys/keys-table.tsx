import Link from 'next/link';
import type { ReactNode } from 'react';
import { Badge } from '@/app/_components/ui/badge';
import { Time } from '@/app/_components/ui/time';
import type { ApiKeyInfo } from '@/lib/auth/api-keys';

const th = 'px-4 py-2 font-medium text-zinc-500';
const td = 'border-t border-zinc-100 px-4 py-2 dark:border-zinc-800';
const when = (d: Date | null) => (d ? <Time value={d} /> : '—');

export type KeysFilter = 'all' | 'creator-disabled';

/**
 * The API keys table: who created each key, with a "creator disabled" badge for keys made by a
 * person who can no longer sign in, and a filter for exactly those. `actions` renders the
 * revoke control of an active key (a client component, left out where none is wanted).
 */
export function ApiKeysTable({
  keys,
  filter,
  actions,
}: {
  keys: ApiKeyInfo[];
  filter: KeysFilter;
  actions?: (key: ApiKeyInfo) => ReactNode;
}) {
  return (
    <>
      <nav aria-label="Filter keys" className="mb-3 flex gap-4 text-sm">
        {filter === 'all' ? (
          <Link className="underline" href="/admin/api-keys?creator=disabled">
            Only keys whose creator is disabled
          </Link>
        ) : (
          <>
            <span>Showing keys whose creator is disabled.</span>
            <Link className="underline" href="/admin/api-keys">
              Show all keys
            </Link>
          </>
        )}
      </nav>
      <div className="mb-10 overflow-hidden rounded-lg border border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900">
        <table className="w-full text-left text-sm">
          <thead>
            <tr>
              <th className={th}>Name</th>
              <th className={th}>Prefix</th>
              <th className={th}>Scopes</th>
              <th className={th}>Created by</th>
              <th className={th}>Last used</th>
              <th className={th}>Status</th>
            </tr>
          </thead>
          <tbody>
            {keys.length === 0 && (
              <tr>
                <td className={td} colSpan={6}>
                  {filter === 'all' ? 'No API keys yet.' : 'No key was created by a disabled account.'}
                </td>
              </tr>
            )}
            {keys.map((k) => (
              <tr key={k.id}>
                <td className={`${td} font-mono`}>{k.name}</td>
                <td className={`${td} font-mono`}>hk_{k.prefix}_…</td>
                <td className={td}>
                  {k.scopes.join(', ')}
                  {k.publishChannels.length > 0 && ` (${k.publishChannels.join(', ')})`}
                </td>
                <td className={td}>
                  <span className="font-mono">{k.createdBy ?? '—'}</span>
                  {k.creatorDisabled && (
                    <span className="ml-2">
                      <Badge tone="warn">creator disabled</Badge>
                    </span>
                  )}
                </td>
                <td className={td}>{when(k.lastUsedAt)}</td>
                <td className={td}>
                  {k.revokedAt ? <>Revoked {when(k.revokedAt)}</> : (actions?.(k) ?? 'Active')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
