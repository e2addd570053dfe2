import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineChannels, validatePayload } from '../lib/channels/registry';
import { HeraldError } from '../lib/errors';

const channels = defineChannels({
  'doc.saved': z.object({
    title: z.string(),
    tags: z.array(z.string()).default([]),
    meta: z.record(z.string(), z.unknown()).optional(),
  }),
});

function refusal(payload: unknown): HeraldError {
  try {
    validatePayload(channels, 'doc.saved', payload);
  } catch (error) {
    if (error instanceof HeraldError) return error;
    throw error;
  }
  throw new Error('the payload was accepted');
}

describe('validatePayload', () => {
  it('returns the parsed payload, defaults applied', () => {
    expect(validatePayload(channels, 'doc.saved', { title: 'a' })).toEqual({ title: 'a', tags: [] });
  });

  it('names the path of a NUL character in a value, an array item or a key, however deep', () => {
    const cases: [unknown, string][] = [
      [{ title: 'a\u0000b' }, 'title'],
      [{ title: 'a', tags: ['ok', 'x\u0000'] }, 'tags.1'],
      [{ title: 'a', meta: { deep: [{ fine: 1 }, { bad: ['', '\u0000'] }] } }, 'meta.deep.1.bad.1'],
      [{ title: 'a', meta: { 'k\u0000': 1 } }, 'meta.k\u0000'],
    ];
    for (const [payload, path] of cases) {
      const error = refusal(payload);
      expect(error.code).toBe('invalid_payload');
      expect(error.details).toEqual([{ path, message: 'contains \\u0000' }]);
    }
  });

  it('refuses an unknown channel and a schema violation with the field paths', () => {
    expect(() => validatePayload(channels, 'nope', {})).toThrow(/unknown channel "nope"/);
    expect(refusal({ title: 3 }).details?.[0]?.path).toBe('title');
  });
});
