import Link from 'next/link';
import type { ReactNode } from 'react';
import { Time } from '@/app/_components/ui/time';
import type { SandboxMessageRow } from '@/lib/db/schema';
import { maskText } from '@/lib/queries/mask';
import { messageStatus, toneClass } from './status';

/**
 * One message as the sandbox received it. The HTML body is untrusted (it comes from payloads):
 * it is shown in an iframe with an empty `sandbox` attribute — no scripts, no forms, no
 * navigation, an origin of its own — and the page's CSP still applies to it through srcdoc.
 */
export function MessageView({
  message: m,
  mask,
  closeHref,
}: {
  message: SandboxMessageRow;
  mask: boolean;
  closeHref: string;
}) {
  const status = messageStatus(m);
  const fields: [string, ReactNode][] = [
    ['From', m.fromAddress],
    ['To', m.toAddress && mask ? maskText(m.toAddress) : m.toAddress],
    ['Subject', m.subject],
    ['Received', <Time key="received" value={m.receivedAt} absolute />],
    ['MessageID', m.messageId],
    [
      'Answer',
      `HTTP ${m.httpStatus}, ErrorCode ${m.errorCode}${m.errorMessage ? `: ${m.errorMessage}` : ''}`,
    ],
    ['Webhook', status.detail],
    ['Tag', m.tag],
    ['Stream', m.messageStream],
  ];
  return (
    <article
      aria-label="Opened message"
      className="rounded-lg border border-zinc-200 bg-white p-4 dark:border-zinc-800 dark:bg-zinc-900"
    >
      <div className="mb-3 flex items-center gap-3">
        <span className={`rounded px-2 py-0.5 text-xs font-medium ${toneClass[status.tone]}`}>
          {status.label}
        </span>
        <Link className="ml-auto text-sm underline" href={closeHref}>
          Close
        </Link>
      </div>
      <dl className="mb-4 grid grid-cols-[8rem_1fr] gap-x-4 gap-y-1 text-sm">
        {fields
          .filter(([, value]) => value)
          .map(([label, value]) => (
            <div key={label} className="contents">
              <dt className="text-zinc-500">{label}</dt>
              <dd className={label === 'MessageID' ? 'font-mono text-xs leading-5' : ''}>{value}</dd>
            </div>
          ))}
      </dl>
      {mask ? (
        <p className="text-sm text-zinc-500">Message contents are hidden: your role cannot read payloads.</p>
      ) : (
        <div className="grid gap-4 lg:grid-cols-2">
          <div>
            <h3 className="mb-1 text-xs font-semibold uppercase tracking-wide text-zinc-500">Text</h3>
            <pre
              data-testid="text-body"
              className="max-h-96 overflow-auto whitespace-pre-wrap rounded bg-zinc-100 p-3 text-xs dark:bg-zinc-950"
            >
              {m.textBody ?? '(none)'}
            </pre>
          </div>
          <div>
            <h3 className="mb-1 text-xs font-semibold uppercase tracking-wide text-zinc-500">HTML</h3>
            {m.htmlBody ? (
              <iframe
                title="HTML body"
                sandbox=""
                srcDoc={m.htmlBody}
                referrerPolicy="no-referrer"
                className="h-96 w-full rounded border border-zinc-200 bg-white dark:border-zinc-700"
              />
            ) : (
              <p className="text-sm text-zinc-500">(none)</p>
            )}
          </div>
        </div>
      )}
    </article>
  );
}
