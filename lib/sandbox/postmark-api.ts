import { randomUUID } from 'node:crypto';
import { parseAddressList } from './addresses';

/**
 * The part of Postmark's email API the sandbox speaks, as pure functions: what to answer to
 * one message, shaped like Postmark's answers (https://postmarkapp.com/developer/api/email-api).
 * The server (./server.ts) adds the token check, the controls and the storage.
 */
export type Endpoint = 'email' | 'batch' | 'withTemplate';

export interface PostmarkAnswer {
  ErrorCode: number;
  Message: string;
  MessageID?: string;
  SubmittedAt?: string;
  To?: string;
}

export const ANSWERS = {
  invalidToken: { ErrorCode: 10, Message: 'Request does not contain a valid Server token.' },
  maintenance: {
    ErrorCode: 100,
    Message: 'The Postmark API is offline for maintenance (sandbox maintenance window).',
  },
  invalidJson: { ErrorCode: 402, Message: 'Received invalid JSON input.' },
  incompatibleJson: {
    ErrorCode: 403,
    Message: 'The JSON input you provided is syntactically correct, but still not the one we expect.',
  },
  tooManyBatchMessages: {
    ErrorCode: 410,
    Message: 'Too many batch messages. You can send up to 500 messages per batch.',
  },
  simulatedFailure: { ErrorCode: 0, Message: 'Internal server error (sandbox: simulated failure).' },
} as const satisfies Record<string, PostmarkAnswer>;

/** One message as the sandbox understood it (for storage), with Postmark's answer. */
export interface HandledMessage {
  answer: PostmarkAnswer;
  /** 200 when accepted, 422 when refused. */
  httpStatus: 200 | 422;
  recipients: string[];
  fields: {
    from: string | null;
    to: string | null;
    subject: string | null;
    textBody: string | null;
    htmlBody: string | null;
    tag: string | null;
    messageStream: string | null;
  };
  request: Record<string, unknown>;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/**
 * Checks one message the way Postmark does and answers it. `isInactive` says which recipients
 * Postmark would refuse (ErrorCode 406).
 */
export function handleMessage(
  endpoint: Endpoint,
  input: unknown,
  inactive: ReadonlySet<string>,
  now = new Date(),
): HandledMessage {
  const request =
    input !== null && typeof input === 'object' && !Array.isArray(input)
      ? (input as Record<string, unknown>)
      : {};
  const template = endpoint === 'withTemplate';
  const fields = {
    from: str(request.From),
    to: str(request.To),
    subject: template
      ? `(template ${String(request.TemplateAlias ?? request.TemplateId ?? '?')})`
      : str(request.Subject),
    textBody: template ? JSON.stringify(request.TemplateModel ?? {}, null, 2) : str(request.TextBody),
    htmlBody: template ? null : str(request.HtmlBody),
    tag: str(request.Tag),
    messageStream: str(request.MessageStream) ?? 'outbound',
  };
  const refuse = (ErrorCode: number, Message: string, recipients: string[] = []): HandledMessage => ({
    answer: { ErrorCode, Message },
    httpStatus: 422,
    recipients,
    fields,
    request,
  });

  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return refuse(ANSWERS.incompatibleJson.ErrorCode, ANSWERS.incompatibleJson.Message);
  }
  const from = parseAddressList(fields.from ?? undefined);
  if (from.addresses.length !== 1 || from.invalid.length > 0)
    return refuse(300, `Invalid 'From' address: '${fields.from ?? ''}'.`);
  if (!fields.to) return refuse(300, "Error parsing 'To': Value cannot be null.");

  const lists = [request.To, request.Cc, request.Bcc].map((v) => parseAddressList(str(v) ?? undefined));
  const invalid = lists.flatMap((l) => l.invalid);
  if (invalid.length > 0) return refuse(300, `Invalid 'To' address: '${invalid[0]}'.`);
  const recipients = lists.flatMap((l) => l.addresses);
  if (recipients.length === 0) return refuse(300, "Error parsing 'To': Value cannot be null.");
  if (recipients.length > 50)
    return refuse(300, 'You may not send to more than 50 recipients per message.', recipients);

  if (template) {
    if (request.TemplateId === undefined && request.TemplateAlias === undefined)
      return refuse(
        1101,
        "The 'TemplateId' or 'TemplateAlias' associated with this request is not valid or was not found.",
        recipients,
      );
  } else if (!fields.textBody && !fields.htmlBody) {
    return refuse(300, 'Provide either email TextBody or HtmlBody or both.', recipients);
  }

  const refused = recipients.filter((r) => inactive.has(r));
  if (refused.length > 0) {
    return refuse(
      406,
      `You tried to send to recipient(s) that have been marked as inactive. Found inactive addresses: ${refused.join(', ')}. Inactive recipients are ones that have generated a hard bounce, a spam complaint, or a manual suppression.`,
      recipients,
    );
  }
  return {
    answer: {
      To: fields.to,
      SubmittedAt: now.toISOString(),
      MessageID: randomUUID(),
      ErrorCode: 0,
      Message: 'OK',
    },
    httpStatus: 200,
    recipients,
    fields,
    request,
  };
}
