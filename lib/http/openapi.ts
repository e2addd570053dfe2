import { z } from 'zod';
import { channels } from '../channels';
import { apiSchemas, DeliveriesQuery, EventsQuery } from './schemas';

/**
 * The OpenAPI 3.1 document, generated from the zod schemas the routes validate with (and the
 * channels' payload schemas), so documentation and behaviour cannot disagree.
 */
type Json = Record<string, unknown>;

const schemaOf = (s: z.ZodType, io: 'input' | 'output' = 'output'): Json =>
  z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;

/** `$schema` and `$id` belong to standalone JSON Schemas; inside OpenAPI they would rebase `$ref`s. */
function strip(s: Json): Json {
  const { $schema: _, $id: __, ...rest } = s;
  return rest;
}

const errors = {
  '400': 'Malformed JSON',
  '401': 'Missing, unknown or revoked API key',
  '403': "The key lacks the scope (or the channel pattern), or the signed-in user's role does not allow it",
  '413': 'Body over the limit (HERALD_API_BODY_LIMIT, default 256 KB)',
  '409': 'The delivery is not in a state this action applies to (e.g. someone acted first); nothing changed',
  '415': 'Body is not application/json',
  '422': 'Validation failed: details list each field path (and index in a batch)',
  '429':
    "Over the key's rate limit, or (reads) too many expensive reads in flight for this key (`too_many_reads`); see Retry-After",
  '503':
    'A read ran past HERALD_READ_STATEMENT_TIMEOUT_MS or found no free read connection (`read_timeout`); narrow the filters or retry after Retry-After',
} as const;

function errorResponses(codes: (keyof typeof errors)[]): Json {
  const retryAfter = { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds to wait' } };
  return Object.fromEntries(
    codes.map((c) => [
      c,
      {
        description: errors[c],
        ...(c === '429' || c === '503' ? { headers: retryAfter } : {}),
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    ]),
  );
}

const json = (schema: Json) => ({ 'application/json': { schema } });
const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

function queryParameters(s: z.ZodObject): Json[] {
  return Object.entries(s.shape).map(([name, field]) => {
    const schema = strip(schemaOf(field as z.ZodType, 'input'));
    const { description, ...rest } = schema;
    return { name, in: 'query', required: false, schema: rest, ...(description ? { description } : {}) };
  });
}

const pathParam = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description,
});

/** One publish request per channel, so clients see each channel's payload schema. */
function publishRequestSchema(base: Json): Json {
  return {
    ...base,
    oneOf: Object.entries(channels).map(([name, schema]) => ({
      title: name,
      required: ['channel', 'payload'],
      properties: { channel: { const: name }, payload: strip(schemaOf(schema, 'input')) },
    })),
  };
}

const requestIds = [
  'PublishRequest',
  'BatchRequest',
  'ActionRequest',
  'BulkReplayRequest',
  'TuningRequest',
  'AlertRuleChange',
  'AlertSilenceRequest',
  'AlertAcknowledgeRequest',
  'NewAlertDestination',
];

/**
 * Every schema with a `meta({ id })` becomes a component, and references between them point
 * at `#/components/schemas/<id>`. Requests are described as clients send them (defaults
 * optional), responses as the API answers.
 */
function componentSchemas(): Record<string, Json> {
  const all = (io: 'input' | 'output') =>
    (
      z.toJSONSchema(apiSchemas, {
        io,
        unrepresentable: 'any',
        target: 'draft-2020-12',
        uri: (id) => `#/components/schemas/${id}`,
      }) as { schemas: Record<string, Json> }
    ).schemas;
  const output = all('output');
  const input = all('input');
  const out: Record<string, Json> = {};
  for (const [id, schema] of Object.entries(output))
    out[id] = strip(requestIds.includes(id) ? input[id]! : schema);
  out.PublishRequest = publishRequestSchema(out.PublishRequest ?? {});
  return out;
}

export function openApiDocument(): Json {
  const components = componentSchemas();
  const ok = (status: string, description: string, id: string) => ({
    [status]: { description, content: json(ref(id)) },
  });
  const action = (
    summary: string,
    operationId: string,
    param: Json,
    resp: string,
    extra: (keyof typeof errors)[],
  ) => ({
    post: {
      operationId,
      summary,
      parameters: [param],
      requestBody: { required: false, content: json(ref('ActionRequest')) },
      responses: {
        ...ok('200', 'Done', resp),
        '404': { description: 'Not found', content: json(ref('Error')) },
        ...errorResponses(['400', '401', '403', '413', '415', '422', '429', ...extra]),
      },
    },
  });
  /** A 404 or 409 with what it means for this operation. */
  const refusal = (status: '404' | '409', description: string) => ({
    [status]: { description, content: json(ref('Error')) },
  });
  const body = (id: string, required = true) => ({ required, content: json(ref(id)) });
  const withBody = ['400', '401', '403', '413', '415', '422', '429'] as const;
  const deliveryId = pathParam('id', 'Delivery id');
  const subName = pathParam('name', 'Subscription name');
  const alertId = pathParam('id', 'Alert id');
  const destinationId = pathParam('id', 'Alert destination id');
  return {
    openapi: '3.1.0',
    info: {
      title: 'Herald HTTP API',
      version: '1.0.0',
      description:
        'Publish events and operate deliveries. Authenticate with `Authorization: Bearer <API key>` (create keys with `npx herald api-key create`). Errors are always `{ error: { code, message, details? } }`.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths: {
      '/api/v1/events': {
        post: {
          operationId: 'publishEvent',
          summary: 'Publish one event',
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              schema: { type: 'string', maxLength: 500 },
              description: 'Same as body.idempotencyKey',
            },
          ],
          requestBody: { required: true, content: json(ref('PublishRequest')) },
          responses: {
            ...ok('201', 'Published', 'PublishResponse'),
            ...ok('200', 'Idempotent repeat: the original event; nothing was published', 'PublishResponse'),
            ...errorResponses(['400', '401', '403', '413', '415', '422', '429']),
          },
        },
        get: {
          operationId: 'listEvents',
          summary: 'List events, newest first (keyset pagination)',
          parameters: queryParameters(EventsQuery),
          responses: {
            ...ok('200', 'A page of events', 'EventPage'),
            ...errorResponses(['401', '403', '422', '429', '503']),
          },
        },
      },
      '/api/v1/events/batch': {
        post: {
          operationId: 'publishBatch',
          summary: 'Publish up to 1,000 events, all or nothing',
          requestBody: { required: true, content: json(ref('BatchRequest')) },
          responses: {
            ...ok('201', 'Published', 'BatchResponse'),
            ...ok('200', 'Every event was an idempotent repeat', 'BatchResponse'),
            ...errorResponses(['400', '401', '403', '413', '415', '422', '429']),
          },
        },
      },
      '/api/v1/events/{id}': {
        get: {
          operationId: 'getEvent',
          summary: 'One event with its deliveries and attempts',
          parameters: [pathParam('id', 'Event id')],
          responses: {
            ...ok('200', 'The event', 'EventDetail'),
            '404': { description: 'Not found', content: json(ref('Error')) },
            ...errorResponses(['401', '403', '429', '503']),
          },
        },
      },
      '/api/v1/deliveries': {
        get: {
          operationId: 'listDeliveries',
          summary: 'List deliveries, newest first; state=dead is the dead-letter queue',
          parameters: queryParameters(DeliveriesQuery),
          responses: {
            ...ok('200', 'A page of deliveries', 'DeliveryPage'),
            ...errorResponses(['401', '403', '422', '429', '503']),
          },
        },
      },
      '/api/v1/deliveries/replay': {
        post: {
          operationId: 'replayMatching',
          summary:
            'Replay every dead delivery matching a filter (dryRun: count only); an empty filter, or `until` alone, is refused with 422',
          requestBody: { required: true, content: json(ref('BulkReplayRequest')) },
          responses: {
            ...ok('200', 'Counts', 'BulkReplayResponse'),
            ...errorResponses(['400', '401', '403', '413', '415', '422', '429']),
          },
        },
      },
      '/api/v1/deliveries/{id}/replay': action(
        'Replay a dead delivery',
        'replayDelivery',
        deliveryId,
        'ActionResponse',
        ['409'],
      ),
      '/api/v1/deliveries/{id}/retry': action(
        'Run a pending delivery now',
        'retryDelivery',
        deliveryId,
        'ActionResponse',
        ['409'],
      ),
      '/api/v1/deliveries/{id}/discard': action(
        'Discard a pending or dead delivery',
        'discardDelivery',
        deliveryId,
        'ActionResponse',
        ['409'],
      ),
      '/api/v1/subscriptions/{name}/pause': action(
        'Pause a subscription (a reason is required: 422 at `reason` without one)',
        'pauseSubscription',
        subName,
        'SubscriptionState',
        [],
      ),
      '/api/v1/subscriptions/{name}/resume': action(
        'Resume a subscription',
        'resumeSubscription',
        subName,
        'SubscriptionState',
        [],
      ),
      '/api/v1/subscriptions/{name}/tuning': {
        get: {
          operationId: 'getSubscriptionTuning',
          summary:
            "A subscription's concurrency and send rate: in force, declared in code, set by an operator",
          parameters: [subName],
          responses: {
            ...ok('200', 'The tuning', 'SubscriptionTuning'),
            ...refusal('404', 'No such subscription'),
            ...errorResponses(['401', '403', '429', '503']),
          },
        },
        patch: {
          operationId: 'tuneSubscription',
          summary:
            "Change a subscription's concurrency per worker and send rate across all workers without a deploy (`operate` keys, operators; audited as subscription.tune); running workers apply it within seconds",
          parameters: [subName],
          requestBody: body('TuningRequest'),
          responses: {
            ...ok('200', 'What is in force now', 'TuningChange'),
            ...refusal('404', 'No such subscription'),
            ...errorResponses([...withBody]),
          },
        },
      },
      '/api/v1/alerts': {
        get: {
          operationId: 'listAlerts',
          summary:
            'Alerts (firing first, then the latest resolved), their rules and destinations; destination URLs and addresses go to admins only, signing secrets to nobody',
          responses: {
            ...ok('200', 'Alerts, rules and destinations', 'AlertOverview'),
            ...errorResponses(['401', '403', '429', '503']),
          },
        },
      },
      '/api/v1/alerts/{id}/acknowledge': {
        post: {
          operationId: 'acknowledgeAlert',
          summary:
            'Stop the repeats of a firing alert (`operate` keys, operators; audited); "resolved" is still sent when it clears',
          parameters: [alertId],
          requestBody: body('AlertAcknowledgeRequest', false),
          responses: {
            ...ok('200', 'Acknowledged', 'AlertAcknowledged'),
            ...refusal('404', 'No such alert'),
            ...refusal('409', 'The alert is resolved already'),
            ...errorResponses([...withBody]),
          },
        },
      },
      '/api/v1/alerts/{id}/silence': {
        post: {
          operationId: 'silenceAlert',
          summary:
            'No messages about this alert, nor a new episode of its rule and subscription, for some minutes; 0 lifts a silence (`operate` keys, operators; audited)',
          parameters: [alertId],
          requestBody: body('AlertSilenceRequest'),
          responses: {
            ...ok('200', 'Silenced until', 'AlertSilenced'),
            ...refusal('404', 'No such alert'),
            ...errorResponses([...withBody]),
          },
        },
      },
      '/api/v1/alerts/rules': {
        put: {
          operationId: 'setAlertRule',
          summary:
            'Create or change the rule of a kind, for every subscription or one (`operate` keys, operators; audited with the values before and after)',
          requestBody: body('AlertRuleChange'),
          responses: {
            ...ok('200', 'The rule as it is now', 'AlertRuleSet'),
            ...refusal('404', 'No such subscription'),
            ...errorResponses([...withBody]),
          },
        },
      },
      '/api/v1/alerts/destinations': {
        post: {
          operationId: 'addAlertDestination',
          summary:
            'Add a Slack, webhook or email destination (admins: a signed-in session, no API key scope grants it; audited without URL or secret)',
          requestBody: body('NewAlertDestination'),
          responses: {
            ...ok('201', 'Added', 'AlertDestinationAdded'),
            ...refusal('409', 'A destination of that name exists'),
            ...errorResponses([...withBody]),
          },
        },
      },
      '/api/v1/alerts/destinations/{id}': {
        delete: {
          operationId: 'removeAlertDestination',
          summary: 'Remove a destination added here (admins, as above; audited)',
          parameters: [destinationId],
          responses: {
            ...ok('200', 'Removed', 'AlertDestinationRemoved'),
            ...refusal('404', 'No such destination'),
            ...refusal('409', 'Set by the environment (HERALD_ALERT_*): change it there'),
            ...errorResponses(['401', '403', '429']),
          },
        },
      },
      '/api/v1/alerts/destinations/{id}/test': {
        post: {
          operationId: 'testAlertDestination',
          summary:
            'Queue a test message to one destination; a worker sends it like any alert (`operate` keys, operators; audited)',
          parameters: [destinationId],
          responses: {
            ...ok('202', 'Queued', 'AlertTestQueued'),
            ...refusal('404', 'No such destination'),
            ...errorResponses(['401', '403', '429']),
          },
        },
      },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'hk_<prefix>_<secret>' } },
      schemas: components,
    },
  };
}
