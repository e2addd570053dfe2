import fc from 'fast-check';

/** Hostile requests for the publish routes and malformed Postmark webhooks (cf. test/api-fuzz.test.ts). */
const hostile = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    '\ud800',
    "'; DROP TABLE herald.events; --",
    '__proto__',
    '9'.repeat(400),
  ),
  fc.constantFrom('test.event', 'email.send', 'order.approved', 'Delivery', 'Bounce', 'Open', 'Click'),
  fc.string({ minLength: 1000, maxLength: 3000 }),
);

const publishLike = fc.record(
  {
    channel: fc.oneof(hostile, fc.jsonValue()),
    payload: fc.oneof(fc.jsonValue(), fc.record({ n: fc.oneof(fc.integer(), hostile), mode: hostile })),
    key: fc.oneof(hostile, fc.jsonValue()),
    idempotencyKey: fc.oneof(hostile, fc.integer()),
    runAt: hostile,
  },
  { requiredKeys: [] },
);

const garbage = fc.oneof(
  hostile,
  fc.integer({ min: 50, max: 5_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.integer({ min: 50, max: 3_000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.constantFrom('', '{', 'null', '[]', '{"RecordType":"Delivery","MessageID":"\\u0000"}'),
);

export const publishBody = fc.oneof(
  publishLike.map((v) => JSON.stringify(v)),
  fc.record({ events: fc.array(publishLike, { maxLength: 10 }) }).map((v) => JSON.stringify(v)),
  garbage,
);

const webhookLike = fc.record(
  {
    RecordType: hostile,
    MessageID: fc.oneof(fc.uuid(), hostile, fc.jsonValue()),
    Recipient: hostile,
    Email: hostile,
    DeliveredAt: fc.oneof(
      hostile,
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    ),
    BouncedAt: hostile,
    Type: hostile,
    TypeCode: fc.oneof(fc.integer(), hostile),
    Metadata: fc.oneof(fc.jsonValue(), fc.dictionary(hostile, hostile, { maxKeys: 5 })),
    ID: fc.oneof(fc.integer(), fc.double(), hostile),
    extra: fc.jsonValue(),
  },
  { requiredKeys: [] },
);

export const webhookBody = fc.oneof(
  webhookLike.map((v) => JSON.stringify(v)),
  garbage,
);
