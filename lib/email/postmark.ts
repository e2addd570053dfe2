import { type Models, ServerClient } from 'postmark';
import { classifyPostmarkError, type TransportEvidence } from './errors';

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

export interface EmailSender {
  send(email: OutgoingEmail, signal?: AbortSignal): Promise<SentEmail>;
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

  return {
    async send(email, signal) {
      const evidence: TransportEvidence = { signal };
      const client = new ServerClient(options.serverToken, {
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
      const message: Models.Message = {
        From: options.from,
        To: email.to,
        Subject: email.subject,
        TextBody: email.textBody,
        HtmlBody: email.htmlBody,
        Tag: email.tag,
        Metadata: email.metadata,
        MessageStream: options.messageStream,
      };
      let answer: Models.MessageSendingResponse;
      try {
        answer = await client.sendEmail(message);
      } catch (error) {
        throw classifyPostmarkError(error, evidence);
      }
      return { messageId: answer.MessageID, submittedAt: answer.SubmittedAt, to: answer.To ?? email.to };
    },
  };
}
