import type { z } from 'zod';
import { HeraldError, type IssueDetail } from '../errors';

/** A channel name: lower-case words separated by dots, dashes or underscores (`order.approved`). */
export const channelNamePattern = /^[a-z0-9][a-z0-9._-]{0,199}$/;

export type ChannelSchemas = Record<string, z.ZodType>;

/**
 * Declares the channels an application publishes to, each with the zod schema of its payload.
 * The returned object is the registry: `publish()` and subscriptions are typed from it.
 */
export function defineChannels<const T extends ChannelSchemas>(channels: T): T {
  for (const name of Object.keys(channels)) {
    if (!channelNamePattern.test(name)) throw new Error(`invalid channel name "${name}"`);
  }
  return channels;
}

const NUL = '\u0000';

/**
 * PostgreSQL's jsonb refuses the NUL character; find it before the database does. The path is
 * built only on the way back from a hit: this runs for every published and every delivered
 * payload, and copying the path at each level was most of its cost.
 */
function findNul(value: unknown): (string | number)[] | undefined {
  if (typeof value === 'string') return value.includes(NUL) ? [] : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i]);
      if (found) {
        found.unshift(i);
        return found;
      }
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      if (key.includes(NUL)) return [key];
      const found = findNul((value as Record<string, unknown>)[key]);
      if (found) {
        found.unshift(key);
        return found;
      }
    }
  }
  return undefined;
}

/**
 * A zod issue's path as every API detail gives it: dotted (`customer.email`), `(root)` for the
 * whole value. The one rule for payloads, request bodies (lib/http/validate.ts) and alerts.
 */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

/**
 * Validates a payload against its channel's schema and returns the parsed value (defaults
 * applied). Throws HeraldError `unknown_channel` or `invalid_payload` with every field path.
 */
export function validatePayload(channels: ChannelSchemas, channel: string, payload: unknown): unknown {
  const schema = Object.hasOwn(channels, channel) ? channels[channel] : undefined;
  if (!schema) {
    throw new HeraldError('unknown_channel', `unknown channel "${channel}"`, [
      { path: 'channel', message: `known channels: ${Object.keys(channels).join(', ')}` },
    ]);
  }
  const result = schema.safeParse(payload);
  if (!result.success) {
    const details: IssueDetail[] = result.error.issues.map((i) => ({
      path: formatPath(i.path),
      message: i.message,
    }));
    throw new HeraldError('invalid_payload', `payload does not match the schema of "${channel}"`, details);
  }
  const nul = findNul(result.data);
  if (nul) {
    throw new HeraldError('invalid_payload', 'strings may not contain the NUL character (\\u0000)', [
      { path: formatPath(nul), message: 'contains \\u0000' },
    ]);
  }
  return result.data;
}
