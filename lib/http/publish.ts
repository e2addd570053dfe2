import type { z } from 'zod';
import type { SeenApiKey } from '../auth/api-keys';
import { canPublishTo, type Principal } from '../auth/principal';
import { channels } from '../channels';
import { type ChannelSchemas, formatPath } from '../channels/registry';
import type { Db } from '../db/client';
import { HeraldError, type IssueDetail } from '../errors';
import { createPublisher, type PublishItem } from '../publish';
import { deliveriesOfEvent } from '../queries/deliveries';
import { HttpError } from './errors';
import { type BatchRequest, type PublishRequest, text } from './schemas';
import { issueDetails } from './validate';

// Over HTTP the channel and payload arrive as data, so the publisher is typed loosely;
// validation at run time is the same as in-process.
const { publishMany } = createPublisher<ChannelSchemas>(channels);
type Item = PublishItem<ChannelSchemas>;

type PublishBody = z.output<typeof PublishRequest>;

/** `Idempotency-Key` header: the same rules as the body field, and the two must agree. */
export function idempotencyKeyOf(request: Request, body: PublishBody): string | undefined {
  const header = request.headers.get('idempotency-key');
  if (header === null) return body.idempotencyKey;
  const parsed = text(500).safeParse(header);
  if (!parsed.success)
    throw new HttpError(
      422,
      'invalid_request',
      'invalid Idempotency-Key header',
      issueDetails(parsed.error, ['Idempotency-Key']),
    );
  if (body.idempotencyKey !== undefined && body.idempotencyKey !== parsed.data)
    throw new HttpError(422, 'invalid_request', 'the Idempotency-Key header and body.idempotencyKey differ', [
      { path: 'idempotencyKey', message: 'differs from the Idempotency-Key header' },
    ]);
  return parsed.data;
}

function toItem(body: PublishBody, principal: Principal, idempotencyKey?: string): Item {
  return {
    channel: body.channel,
    payload: body.payload,
    options: {
      key: body.key,
      idempotencyKey,
      runAt: body.runAt ? new Date(body.runAt) : undefined,
      source: principal.actor,
    },
  };
}

/** 403 before 422: a key must not learn which channels exist outside its patterns. */
function checkChannels(principal: Principal, items: readonly Item[], batch: boolean): void {
  const forbidden: IssueDetail[] = [];
  const unknown: IssueDetail[] = [];
  items.forEach((item, i) => {
    const index = batch ? i : undefined;
    if (!canPublishTo(principal, item.channel))
      forbidden.push({ path: 'channel', message: `may not publish to "${item.channel}"`, index });
    else if (!Object.hasOwn(channels, item.channel))
      unknown.push({ path: 'channel', message: `unknown channel "${item.channel}"`, index });
  });
  if (forbidden.length > 0)
    throw new HttpError(
      403,
      'forbidden',
      batch ? 'this API key may not publish to some of these channels' : forbidden[0]!.message,
      forbidden,
    );
  if (unknown.length > 0)
    throw new HeraldError(
      'unknown_channel',
      batch ? 'some events name unknown channels; nothing was published' : unknown[0]!.message,
      [...unknown.map((u) => ({ ...u, message: `known channels: ${Object.keys(channels).join(', ')}` }))],
    );
}

/** Payload paths from publish() are relative to the payload; the API names them from the item. */
async function publishChecked(db: Db, items: readonly Item[], batch: boolean, asApiKey?: SeenApiKey) {
  try {
    // A single event comes back with its deliveries and stored key in the same round trip.
    return await publishMany(db, items, {
      withDeliveries: !batch,
      asApiKey: asApiKey && { id: asApiKey.key.id, secretHash: asApiKey.secretHash },
    });
  } catch (error) {
    if (error instanceof HeraldError && error.code === 'invalid_payload') {
      throw new HeraldError(
        'invalid_payload',
        error.message,
        error.details?.map((d) => ({
          ...d,
          path: d.path === '(root)' ? 'payload' : `payload.${d.path}`,
          index: batch ? (d.index ?? 0) : undefined,
        })),
      );
    }
    throw error;
  }
}

/**
 * One event. Runs without an explicit transaction: the event and its deliveries are written
 * by a single statement (the fan-out is a trigger), which is atomic on its own and saves the
 * BEGIN/COMMIT round trips on the hot path.
 */
export async function publishOne(
  db: Db,
  principal: Principal,
  body: PublishBody,
  idempotencyKey?: string,
  unverifiedKey?: SeenApiKey,
) {
  const item = toItem(body, principal, idempotencyKey);
  checkChannels(principal, [item], false);
  // A key taken from memory is re-checked by the publish statement itself.
  const [event] = await publishChecked(db, [item], false, unverifiedKey);
  const published = event!;
  // On a repeat, `key` and `deliveries` are the original event's, whatever this request said.
  const deliveries = published.deliveries ?? (await deliveriesOfEvent(db, published.id));
  return {
    id: published.id,
    channel: published.channel,
    key: published.key,
    duplicate: published.duplicate,
    deliveries,
  };
}

/** Up to 1,000 events in one statement: all are published, or (any problem) none. */
export async function publishBatch(db: Db, principal: Principal, body: z.output<typeof BatchRequest>) {
  const items = body.events.map((e) => toItem(e, principal, e.idempotencyKey));
  checkChannels(principal, items, true);
  const events = await publishChecked(db, items, true);
  return { events: events.map(({ id, channel, key, duplicate }) => ({ id, channel, key, duplicate })) };
}

/** Batch validation errors name each bad item by index, with the path inside the item. */
export function batchIssueDetails(error: z.ZodError): IssueDetail[] {
  return error.issues.slice(0, 200).map((i) => {
    const [first, index, ...rest] = i.path;
    if (first === 'events' && typeof index === 'number')
      return { index, path: rest.length ? rest.map(String).join('.') : '(item)', message: i.message };
    return { path: formatPath(i.path), message: i.message };
  });
}
