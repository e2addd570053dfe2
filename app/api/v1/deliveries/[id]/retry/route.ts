import { deliveryActionRoute } from '@/lib/http/delivery-action';

export const dynamic = 'force-dynamic';

export const POST = deliveryActionRoute('retry');
