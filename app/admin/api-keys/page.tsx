import type { Metadata } from 'next';
import { listApiKeys } from '@/lib/auth/api-keys';
import { guardPage } from '@/lib/auth/guard';
import { sharedDb } from '@/lib/db/client';
import { CreateKey, RevokeKey } from './api-keys-admin';
import { ApiKeysTable, type KeysFilter } from './keys-table';

export const metadata: Metadata = { title: 'API keys' };
export const dynamic = 'force-dynamic';

export default async function ApiKeysPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  await guardPage('/admin/api-keys');
  const filter: KeysFilter = (await searchParams).creator === 'disabled' ? 'creator-disabled' : 'all';
  const keys = await listApiKeys(sharedDb(), filter === 'all' ? {} : { creatorDisabled: true });
  return (
    <>
      <h1 className="mb-4 text-xl font-semibold tracking-tight">API keys</h1>
      <ApiKeysTable
        keys={keys}
        filter={filter}
        actions={(k) => <RevokeKey name={k.name} reference={`hk_${k.prefix}`} />}
      />
      <h2 className="mb-3 text-sm font-semibold uppercase tracking-wide text-zinc-500">New key</h2>
      <CreateKey />
    </>
  );
}
