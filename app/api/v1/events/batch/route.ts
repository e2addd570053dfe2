import { readJson } from '@/lib/http/body';
import { HttpError } from '@/lib/http/errors';
import { batchIssueDetails, publishBatch } from '@/lib/http/publish';
import { withRoute } from '@/lib/http/route';
import { BatchRequest } from '@/lib/http/schemas';

export const dynamic = 'force-dynamic';

/** Up to 1,000 events, all or nothing: one bad item gives 422 listing every bad index and path. */
export const POST = withRoute({ permission: 'publish' }, async ({ request, principal, db }) => {
  const parsed = BatchRequest.safeParse(await readJson(request));
  if (!parsed.success)
    throw new HttpError(
      422,
      'invalid_request',
      'some events are invalid; nothing was published',
      batchIssueDetails(parsed.error),
    );
  const result = await publishBatch(db, principal, parsed.data);
  return Response.json(result, { status: result.events.some((e) => !e.duplicate) ? 201 : 200 });
});
