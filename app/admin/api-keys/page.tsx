import type { Metadata } from 'next';
import { listApiKeys } from '@/lib/auth/api-keys';
import { guardPage } from '@/lib/auth/guard';
import { sharedDb } from '@/lib/db/client';
import { CreateKey, RevokeKey } from './api-keys-admin';

export const metadata: Metadata = { title: 'API keys' };
export const dynamic = 'force-dynamic';

const th = 'px-4 py-2 font-medium text-zinc-500';
const td = 'border-t border-zinc-100 px-4 py-2 dark:border-zinc-800';
const when = (d: Date | null) => (d ? d.toISOString().replace('T', ' ').slice(0, 19) : '—');

export default async function ApiKeysPage() {
  await guardPage('/admin/api-keys');
  const keys = await listApiKeys(sharedDb());
  return (
    <>
      <h1 className="mb-8 text-2xl font-semibold tracking-tight">API keys</h1>
      <div className="mb-10 overflow-hidden rounded-lg border border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900">
        <table className="w-full text-left text-sm">
          <thead>
            <tr>
              <th className={th}>Name</th>
              <th className={th}>Prefix</th>
              <th className={th}>Scopes</th>
              <th className={th}>Last used (UTC)</th>
              <th className={th}>Status</th>
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k.id}>
                <td className={`${td} font-mono`}>{k.name}</td>
                <td className={`${td} font-mono`}>hk_{k.prefix}_…</td>
                <td className={td}>
                  {k.scopes.join(', ')}
                  {k.publishChannels.length > 0 && ` (${k.publishChannels.join(', ')})`}
                </td>
                <td className={td}>{when(k.lastUsedAt)}</td>
                <td className={td}>
                  {k.revokedAt ? `Revoked ${when(k.revokedAt)}` : <RevokeKey name={k.name} />}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2 className="mb-3 text-sm font-semibold uppercase tracking-wide text-zinc-500">New key</h2>
      <CreateKey />
    </>
  );
}
