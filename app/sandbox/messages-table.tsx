import Link from 'next/link';
import { Time } from '@/app/_components/ui/time';
import type { SandboxMessageRow } from '@/lib/db/schema';
import { maskText } from '@/lib/queries/mask';
import { messageStatus, toneClass } from './status';

const th = 'px-4 py-2 font-medium text-zinc-500';
const td = 'border-t border-zinc-100 px-4 py-2 align-top dark:border-zinc-800';

/** Newest first; each row opens the message. Recipients are masked without `read:payloads`. */
export function MessagesTable({
  rows,
  mask,
  openId,
  href,
}: {
  rows: SandboxMessageRow[];
  mask: boolean;
  openId: number | undefined;
  href: (id: number) => string;
}) {
  return (
    <div className="overflow-x-auto rounded-lg border border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900">
      <table className="w-full text-left text-sm" aria-label="Sandbox messages">
        <thead>
          <tr>
            <th className={th}>Received</th>
            <th className={th}>To</th>
            <th className={th}>Subject</th>
            <th className={th}>Status</th>
            <th className={th}>MessageID</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((m) => {
            const status = messageStatus(m);
            return (
              <tr
                key={m.id}
                aria-selected={m.id === openId}
                className="aria-selected:bg-zinc-50 dark:aria-selected:bg-zinc-800/50"
              >
                <td className={`${td} whitespace-nowrap tabular-nums`}>
                  <Time value={m.receivedAt} />
                </td>
                <td className={td}>{m.toAddress ? (mask ? maskText(m.toAddress) : m.toAddress) : '—'}</td>
                <td className={td}>
                  <Link className="underline decoration-zinc-300 hover:decoration-zinc-900" href={href(m.id)}>
                    {m.subject ?? '(no subject)'}
                  </Link>
                </td>
                <td className={td} title={status.detail}>
                  <span className={`rounded px-2 py-0.5 text-xs font-medium ${toneClass[status.tone]}`}>
                    {status.label}
                  </span>
                </td>
                <td className={`${td} font-mono text-xs`}>{m.messageId ?? '—'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
