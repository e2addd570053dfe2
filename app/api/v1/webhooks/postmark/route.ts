import { sharedDb } from '@/lib/db/client';
import { webhookCredentials } from '@/lib/email/config';
import { receivePostmarkWebhook } from '@/lib/email/webhook-request';
import { toErrorResponse } from '@/lib/http/errors';

export const dynamic = 'force-dynamic';

/** Postmark's Delivery, Bounce, SpamComplaint, Open, Click and SubscriptionChange webhooks. */
export async function POST(request: Request) {
  try {
    const answer = await receivePostmarkWebhook(sharedDb(), request, webhookCredentials());
    return Response.json(answer.body, { status: answer.status, headers: answer.headers });
  } catch (error) {
    // Anything the checks above missed gets the API's JSON error shape (a 4xx for data the
    // database refuses), never an unhandled throw.
    return toErrorResponse(error);
  }
}
