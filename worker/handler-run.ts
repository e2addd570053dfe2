import { type ChannelSchemas, validatePayload } from '../lib/channels/registry';
import { HeraldError } from '../lib/errors';
import { HandlerTimeoutError, PermanentError } from '../lib/subscriptions/errors';
import type { Deadline } from './deadlines';
import type { LazyAbort } from './lazy-abort';
import type { ClaimedRow } from './queries';

// What running one handler needs besides its context (handler-context.ts): the payload checked
// against its channel, a timeout, and the result made storable. All of it runs once per delivery.

/** The payload as the handler should see it; a permanent failure if it breaks its channel's schema. */
export function payloadFor(channels: ChannelSchemas, row: ClaimedRow): unknown {
  if (!Object.hasOwn(channels, row.channel)) return row.payload; // pattern subscriptions
  try {
    return validatePayload(channels, row.channel, row.payload);
  } catch (error) {
    // Plain-SQL publishers are not checked at publish time; a payload that breaks the
    // channel's schema will never pass, so it goes straight to the dead-letter queue.
    const detail =
      error instanceof HeraldError ? error.details?.map((d) => `${d.path}: ${d.message}`).join('; ') : '';
    throw new PermanentError(`payload does not match the channel schema (${detail})`, {
      code: 'invalid_payload',
    });
  }
}

/**
 * A handler's timeout: aborts its signal and fails its attempt. A class, not an object literal
 * with an arrow function: under tsx every named arrow is renamed by a defineProperty call,
 * once per delivery.
 */
export class HandlerDeadline implements Deadline {
  done = false;
  constructor(
    readonly at: number,
    private readonly timeoutMs: number,
    private readonly abort: LazyAbort,
    private readonly reject: (error: Error) => void,
  ) {}

  expire() {
    this.abort.abort();
    this.reject(new HandlerTimeoutError(this.timeoutMs));
  }
}

/** The handler's result as it will be stored: JSON, null for nothing, a note when it cannot be. */
export function toJson(value: unknown): unknown {
  if (value === undefined) return null;
  try {
    return JSON.parse(JSON.stringify(value));
  } catch {
    return { unserializable: String(value) };
  }
}
