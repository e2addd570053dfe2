import { subscriptionActionRoute } from '@/lib/http/subscription-action';

export const dynamic = 'force-dynamic';

export const POST = subscriptionActionRoute('pause');
