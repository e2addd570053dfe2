import { eq } from 'drizzle-orm';
import type { Metadata } from 'next';
import Link from 'next/link';
import { Empty, Section } from '@/app/_components/section';
import { guardPage } from '@/lib/auth/guard';
import { can } from '@/lib/auth/principal';
import { pageReadDb } from '@/lib/db/page-reads';
import { sandboxMessages } from '@/lib/db/schema';
import { emailSettings } from '@/lib/email/config';
import { maskText } from '@/lib/queries/mask';
import { maskSandboxMessage } from '@/lib/sandbox/mask';
import { listSandboxMessages } from '@/lib/sandbox/messages';
import { getSandboxControls, listInactiveAddresses } from '@/lib/sandbox/settings';
import { AutoRefresh } from './auto-refresh';
import { SandboxControlsForm } from './controls';
import { MessageView } from './message-view';
import { MessagesTable } from './messages-table';
import { SandboxState } from './sandbox-state';
import { SandboxWebhook, sandboxWebhookForAdmins } from './webhook-credentials';

export const metadata: Metadata = { title: 'Sandbox outbox' };
export const dynamic = 'force-dynamic';

const PAGE = 50;
type Search = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (typeof v === 'string' ? v : undefined);
const positive = (v: string | undefined) => {
  const n = Number(v);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
};

/**
 * What the local Postmark stand-in received (accepted and refused), one message opened, and —
 * for operators and admins — the controls that make it misbehave.
 */
export default async function SandboxPage({ searchParams }: { searchParams: Promise<Search> }) {
  // Reading needs `read`; the controls are shown to operators and admins and checked again by the route.
  const me = await guardPage('/sandbox');
  const q = await searchParams;
  const status = one(q.status) === 'accepted' || one(q.status) === 'rejected' ? one(q.status) : undefined;
  const filter = { status: status as 'accepted' | 'rejected' | undefined, beforeId: positive(one(q.before)) };
  const openId = positive(one(q.message));
  const mask = !can(me, 'read:payloads');
  const db = await pageReadDb();
  const [rows, controls, inactive, found] = await Promise.all([
    listSandboxMessages(db, { ...filter, limit: PAGE }).then((r) => (mask ? r.map(maskSandboxMessage) : r)),
    getSandboxControls(db),
    listInactiveAddresses(db),
    openId === undefined
      ? undefined
      : db
          .select()
          .from(sandboxMessages)
          .where(eq(sandboxMessages.id, openId))
          .then((r) => r[0]),
  ]);
  // Recipients, subjects and Postmark's answers quoting them are payload data (lib/sandbox/mask.ts).
  const opened = found && mask ? maskSandboxMessage(found) : found;
  const link = (extra: Record<string, string | undefined>) => {
    const params = new URLSearchParams(
      Object.entries({ status, ...extra }).filter((e): e is [string, string] => e[1] !== undefined),
    );
    return `/sandbox${params.size > 0 ? `?${params}` : ''}`;
  };
  const last = rows.at(-1);

  return (
    <>
      <div className="mb-2 flex items-center gap-4">
        <h1 className="text-xl font-semibold tracking-tight">Sandbox outbox</h1>
        <AutoRefresh seconds={5} />
      </div>
      <p className="mb-6 max-w-3xl text-sm text-zinc-600 dark:text-zinc-400">
        {emailSettings().sandbox
          ? 'No POSTMARK_SERVER_TOKEN is set, so email goes to Herald’s local Postmark stand-in: it answers like Postmark, keeps every message here and posts Delivery and Bounce webhooks back. Nothing leaves this machine.'
          : 'Email goes to Postmark (POSTMARK_SERVER_TOKEN is set); the sandbox below is not in use.'}
      </p>

      <SandboxState controls={controls} />

      {can(me, 'subscriptions:operate') && (
        // Folded by default: the outbox is what most visits are for.
        <details className="mb-10">
          <summary className="mb-3 cursor-pointer text-sm font-semibold uppercase tracking-wide text-zinc-500">
            Controls
          </summary>
          <SandboxControlsForm
            controls={{
              failureRate: controls.failureRate,
              latencyMs: controls.latencyMs,
              retryAfterSeconds: controls.retryAfterSeconds,
            }}
            inactive={inactive.map((a) => ({ email: mask ? maskText(a.email) : a.email, reason: a.reason }))}
          />
        </details>
      )}

      {can(me, 'admin') && <SandboxWebhook webhook={sandboxWebhookForAdmins()} />}

      {opened && (
        <Section title="Message">
          <MessageView message={opened} mask={mask} closeHref={link({ before: one(q.before) })} />
        </Section>
      )}

      <Section title="Messages">
        <nav aria-label="Filter messages" className="mb-3 flex gap-3 text-sm">
          {(
            [
              [undefined, 'All'],
              ['accepted', 'Accepted'],
              ['rejected', 'Refused'],
            ] as const
          ).map(([value, label]) => (
            <Link
              key={label}
              href={value ? `/sandbox?status=${value}` : '/sandbox'}
              aria-current={status === value ? 'page' : undefined}
              className="rounded-md px-2 py-1 text-zinc-600 aria-[current=page]:bg-zinc-200 aria-[current=page]:text-zinc-900 dark:text-zinc-400 dark:aria-[current=page]:bg-zinc-800 dark:aria-[current=page]:text-zinc-100"
            >
              {label}
            </Link>
          ))}
        </nav>
        {rows.length === 0 ? (
          <Empty>
            No messages{status ? ' of this kind' : ''} yet. Publish an order (or run <code>npm run demo</code>
            ) and its confirmation email appears here.
          </Empty>
        ) : (
          <MessagesTable
            rows={rows}
            mask={mask}
            openId={openId}
            href={(id) => link({ before: one(q.before), message: String(id) })}
          />
        )}
        {rows.length === PAGE && last && (
          <p className="mt-3 text-sm">
            <Link className="underline" href={link({ before: String(last.id) })}>
              Older messages
            </Link>
          </p>
        )}
      </Section>
    </>
  );
}
