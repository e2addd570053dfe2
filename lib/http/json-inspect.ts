import { formatPath } from '../channels/registry';
import type { IssueDetail } from '../errors';

/** Deeper JSON than this is refused: no channel needs it, and recursive validators would overflow. */
export const MAX_JSON_DEPTH = 64;

/**
 * Walks parsed JSON without recursion (hostile input may nest 100,000 levels) and reports the
 * first value PostgreSQL's jsonb would refuse — `\u0000` or a lone UTF-16 surrogate, in keys or
 * strings — or nesting beyond MAX_JSON_DEPTH. Catching these here turns a would-be 500 into a 422.
 */
export function inspectJson(root: unknown): IssueDetail | null {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value: root, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      const problem = badString(value);
      if (problem) return { path: formatPath(path), message: problem };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (path.length >= MAX_JSON_DEPTH)
      return { path: formatPath(path.slice(0, 8)), message: `nested deeper than ${MAX_JSON_DEPTH} levels` };
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: [...path, i] });
      continue;
    }
    for (const [k, v] of Object.entries(value)) {
      const problem = badString(k);
      if (problem)
        return { path: formatPath([...path, k.replaceAll('\u0000', '\\u0000')]), message: `key ${problem}` };
      stack.push({ value: v, path: [...path, k] });
    }
  }
  return null;
}

// In a `u` regex a valid surrogate pair is one code point, so only lone surrogates match.
const LONE_SURROGATE = /\p{Cs}/u;

export function badString(s: string): string | null {
  if (s.includes('\u0000')) return 'contains \\u0000, which PostgreSQL cannot store';
  if (LONE_SURROGATE.test(s)) return 'contains a lone UTF-16 surrogate';
  return null;
}
