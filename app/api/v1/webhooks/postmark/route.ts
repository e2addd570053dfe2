import { sharedDb } from '@/lib/db/client';
import { webhookCredentials } from '@/lib/email/config';
import { receivePostmarkWebhook } from '@/lib/email/webhook-request';

export const dynamic = 'force-dynamic';

/** Postmark's Delivery, Bounce, SpamComplaint, Open, Click and SubscriptionChange webhooks. */
export async function POST(request: Request) {
  const answer = await receivePostmarkWebhook(sharedDb(), request, webhookCredentials());
  return Response.json(answer.body, { status: answer.status, headers: answer.headers });
}
