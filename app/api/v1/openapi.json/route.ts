import { openApiDocument } from '@/lib/http/openapi';

/** The OpenAPI 3.1 document: public, like any API reference, and the same for every caller. */
export function GET() {
  return Response.json(openApiDocument(), { headers: { 'Cache-Control': 'public, max-age=300' } });
}
