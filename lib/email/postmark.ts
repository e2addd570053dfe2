import { type Models, ServerClient } from 'postmark';
import { RetryableError } from '../subscriptions/errors';
import { classifyBatchMessage, classifyPostmarkError, type TransportEvidence } from './errors';

export interface OutgoingEmail {
  to: string;
  subject: string;
  textBody?: string;
  htmlBody?: string;
  tag?: string;
  /** Postmark echoes metadata in its webhooks (e.g. the Herald delivery id). */
  metadata?: Record<string, string>;
}

/** Postmark's evidence that it accepted the email, kept on the attempt (attempts.result). */
export interface SentEmail {
  messageId: string;
  submittedAt: string;
  to: string;
}

export interface PostmarkSenderOptions {
  /** e.g. https://api.postmarkapp.com, or a local stand-in such as http://127.0.0.1:4025 */
  apiUrl: string;
  serverToken: string;
  from: string;
  messageStream: string;
  /** The client's own request timeout. The handler's signal usually ends a request earlier. */
  timeoutSeconds?: number;
}

/** Postmark's batch endpoint takes at most this many messages per request. */
export const POSTMARK_BATCH_LIMIT = 500;

export interface EmailSender {
  send(email: OutgoingEmail, signal?: AbortSignal): Promise<SentEmail>;
  /**
   * Up to POSTMARK_BATCH_LIMIT emails in one request, one answer each, in order: its evidence,
   * or the error that decides its outcome (classified as send() would throw it). Throws when the
   * request as a whole failed: then none of them is known to have been accepted.
   */
  sendBatch?(emails: OutgoingEmail[], signal?: AbortSignal): Promise<(SentEmail | Error)[]>;
}

/**
 * Sends through the official `postmark` client. Failures are thrown as PermanentError or
 * RetryableError (see ./errors.ts), each carrying Postmark's ErrorCode and Message.
 *
 * Why a custom `fetch`: the client (5.x, built on fetch) turns a failed answer into an error
 * with statusCode and ErrorCode but drops the response headers — so Retry-After is lost — and
 * turns a refused connection into a bare "fetch failed". Its supported `fetch` option lets us
 * keep the raw response and the network cause, and add the handler's AbortSignal so that a
 * timed-out handler really cancels its request. The evidence is per request, so each send
 * uses its own lightweight client (a constructor that only stores options).
 */
export function createPostmarkSender(options: PostmarkSenderOptions): EmailSender {
  const api = new URL(options.apiUrl);
  const useHttps = api.protocol === 'https:';
  // The client builds `${scheme}://${requestHost}${path}`: a host with an optional path prefix.
  const requestHost = `${api.host}${api.pathname.replace(/\/+$/, '')}`;
  /** A client for one request, keeping its evidence and obeying the caller's signal. */
  const clientFor = (evidence: TransportEvidence, signal: AbortSignal | undefined) =>
    new ServerClient(options.serverToken, {
      useHttps,
      requestHost,
      timeout: options.timeoutSeconds ?? 60,
      fetch: async (input, init) => {
        const signals = [init?.signal, signal].filter((s): s is AbortSignal => s != null);
        try {
          const response = await fetch(input, { ...init, signal: AbortSignal.any(signals) });
          evidence.response = { status: response.status, headers: response.headers };
          return response;
        } catch (error) {
          evidence.networkError = error;
          throw error;
        }
      },
    });
  const messageOf = (email: OutgoingEmail): Models.Message => ({
    From: options.from,
    To: email.to,
    Subject: email.subject,
    TextBody: email.textBody,
    HtmlBody: email.htmlBody,
    Tag: email.tag,
    Metadata: email.metadata,
    MessageStream: options.messageStream,
  });
  return {
    async send(email, signal) {
      const evidence: TransportEvidence = { signal };
      let answer: Models.MessageSendingResponse;
      try {
        answer = await clientFor(evidence, signal).sendEmail(messageOf(email));
      } catch (error) {
        throw classifyPostmarkError(error, evidence);
      }
      return { messageId: answer.MessageID, submittedAt: answer.SubmittedAt, to: answer.To ?? email.to };
    },

    async sendBatch(emails, signal) {
      if (emails.length > POSTMARK_BATCH_LIMIT)
        throw new Error(
          `Postmark takes at most ${POSTMARK_BATCH_LIMIT} emails per batch, not ${emails.length}`,
        );
      const evidence: TransportEvidence = { signal };
      let answers: Models.MessageSendingResponse[];
      try {
        answers = await clientFor(evidence, signal).sendEmailBatch(emails.map(messageOf));
      } catch (error) {
        throw classifyPostmarkError(error, evidence);
      }
      // One answer per message, in order (Postmark's batch API). Anything else cannot be matched
      // to the messages: none of them is known to be accepted, so the whole batch is retried.
      if (!Array.isArray(answers) || answers.length !== emails.length)
        throw new RetryableError(
          `Postmark answered ${Array.isArray(answers) ? answers.length : 'no'} results for ${emails.length} emails; will retry them all`,
          { code: 'postmark_batch_mismatch' },
        );
      return answers.map((answer, i) =>
        answer.ErrorCode === 0 && answer.MessageID
          ? { messageId: answer.MessageID, submittedAt: answer.SubmittedAt, to: answer.To ?? emails[i]!.to }
          : classifyBatchMessage(answer.ErrorCode, answer.Message),
      );
    },
  };
}
