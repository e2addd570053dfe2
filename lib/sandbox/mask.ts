import type { SandboxMessageRow } from '../db/schema';
import { MASK, maskText, maskValue } from '../queries/mask';

/**
 * A sandbox message as someone without `read:payloads` may see it: the outbox holds what the
 * events' payloads hold (recipient, subject, bodies, tag) and Postmark's answers quote the
 * recipient ("Found inactive addresses: …"), so it is masked like payloads and error texts
 * everywhere else. The sender, times, status codes and MessageID stay: they say what happened.
 */
export function maskSandboxMessage(m: SandboxMessageRow): SandboxMessageRow {
  const text = (s: string | null) => (s === null ? null : maskText(s));
  return {
    ...m,
    toAddress: text(m.toAddress),
    subject: m.subject === null ? null : MASK,
    textBody: null,
    htmlBody: null,
    tag: m.tag === null ? null : MASK,
    errorMessage: text(m.errorMessage),
    webhookError: text(m.webhookError),
    request: maskValue(m.request),
  };
}
