import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { setupAuthDatabase, userWithSession } from './auth-helpers';
import type { TestDatabase } from './helpers/db';

/**
 * Issue #18, item 2: `/sign-in?next=…` must never send anyone off the site. The browser resolves
 * the target with the WHATWG URL parser, which treats `\` like `/` and drops tabs and newlines,
 * so `next=/\evil.example` and `next=/%09/evil.example` (a tab) both become
 * `//evil.example`: another host. Every check below resolves the answer the way a browser would.
 */
const PUBLIC_URL = 'http://localhost:3000';
const ORIGIN = new URL(PUBLIC_URL).origin;
const ATTACKS = [
  '/\\evil.example',
  '/\t/evil.example',
  '/\n/evil.example',
  '/\r\n/evil.example',
  '//evil.example',
  '///evil.example',
  '/\\/evil.example',
  '\\\\evil.example',
  '/./\\evil.example',
  '/.//evil.example',
  '/..//evil.example',
  '/a/..//evil.example',
  ' //evil.example',
  '\u0000//evil.example',
  'https://evil.example',
  'http://localhost:3000@evil.example/',
  'HTTPS:evil.example',
  'javascript:alert(1)',
  'JaVaScRiPt:alert(document.cookie)',
  'java\tscript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'http://localhost:3001/',
  'https://localhost:3000/',
];

const nav = vi.hoisted(() => ({ headers: new Headers() }));
vi.mock('next/headers', () => ({
  headers: async () => nav.headers,
  cookies: async () => ({ get: () => undefined, getAll: () => [], has: () => false }),
}));

/** Where a browser on the sign-in page would go for this target. */
const landsOn = (target: string) => new URL(target, `${PUBLIC_URL}/sign-in`).origin;

/** Finds the sign-in form's `next` prop in the element tree the page returns. */
function formNext(node: unknown): string | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  if (Array.isArray(node)) return node.map(formNext).find((v) => v !== undefined);
  const props = (node as { props?: Record<string, unknown> }).props;
  if (!props) return undefined;
  if (typeof props.next === 'string') return props.next;
  return formNext(props.children);
}

let t: TestDatabase;
let signedIn: string;

beforeAll(async () => {
  t = await setupAuthDatabase();
  delete process.env.HERALD_PUBLIC_URL;
  signedIn = await userWithSession(t, 'viewer');
});
afterAll(async () => {
  await t?.drop();
});

async function renderSignIn(
  next: string,
  cookie?: string,
): Promise<{ redirect?: string; formNext?: string }> {
  const { default: SignInPage } = await import('../app/sign-in/page');
  nav.headers = new Headers(cookie ? { cookie } : {});
  try {
    const tree = await SignInPage({ searchParams: Promise.resolve({ next }) });
    return { formNext: formNext(tree) };
  } catch (error) {
    const digest = String((error as { digest?: unknown }).digest ?? '');
    if (!digest.startsWith('NEXT_REDIRECT')) throw error;
    return { redirect: digest.split(';')[2] };
  }
}

describe('open redirect after sign-in', () => {
  it.each(ATTACKS)('next=%j sends a signed-in visitor nowhere but this site', async (attack) => {
    const { redirect } = await renderSignIn(attack, signedIn);
    expect(redirect).toBeDefined();
    expect(landsOn(redirect!)).toBe(ORIGIN);
  });

  it.each(ATTACKS)('next=%j is not handed to the sign-in form', async (attack) => {
    const { formNext: next } = await renderSignIn(attack);
    expect(next).toBeDefined();
    expect(landsOn(next!)).toBe(ORIGIN);
  });

  it('a path on this site, with its query and fragment, is still followed', async () => {
    expect((await renderSignIn('/deliveries/12?tab=attempts#last', signedIn)).redirect).toBe(
      '/deliveries/12?tab=attempts#last',
    );
    expect((await renderSignIn('/lookup?q=a%40example.com')).formNext).toBe('/lookup?q=a%40example.com');
  });
});

describe('safeNextPath', () => {
  it('fixed cases: same-site paths kept, everything else becomes /', async () => {
    const { safeNextPath } = await import('../lib/auth/safe-next');
    for (const attack of ATTACKS) expect([attack, safeNextPath(attack, PUBLIC_URL)]).toEqual([attack, '/']);
    for (const value of [undefined, '', ['/a', '/b'], 42, null])
      expect(safeNextPath(value, PUBLIC_URL)).toBe('/');
    expect(safeNextPath('/', PUBLIC_URL)).toBe('/');
    expect(safeNextPath('/events?channel=sms', PUBLIC_URL)).toBe('/events?channel=sms');
    expect(safeNextPath('/a/%2F%2Fevil.example', PUBLIC_URL)).toBe('/a/%2F%2Fevil.example');
    // A full URL of this very site is fine, and is reduced to its path.
    expect(safeNextPath('http://localhost:3000/audit', PUBLIC_URL)).toBe('/audit');
    expect(safeNextPath('/audit', 'https://herald.example.com/')).toBe('/audit');
  });

  it('property: whatever the value, a browser resolving the answer stays on the public origin', async () => {
    const { safeNextPath } = await import('../lib/auth/safe-next');
    const pieces = fc.constantFrom(
      '/',
      '//',
      '\\',
      '/\\',
      '\\/',
      '.',
      '..',
      '%2f',
      '%2F',
      '%5c',
      '%5C',
      '%252f',
      '%255c',
      '%09',
      '%0a',
      '%00',
      '\t',
      '\n',
      '\r',
      '\u0000',
      '\u001f',
      ' ',
      '\u3002', // ideographic full stop
      '\uff0f', // fullwidth solidus
      '\uff3c', // fullwidth reverse solidus
      '\u2215', // division slash
      '\u2044', // fraction slash
      '\u29f8', // big solidus
      'ⓔⓥⓘⓛ',
      'еvil', // Cyrillic е
      'evil.example',
      'localhost:3000',
      'localhost:3000@',
      '@',
      ':',
      '?',
      '#',
      'javascript:',
      'JAVASCRIPT:',
      'data:',
      'https:',
      'http:',
      'file:',
      'vbscript:',
      'alert(1)',
    );
    const hostile = fc.oneof(
      fc.array(pieces, { maxLength: 8 }).map((p) => p.join('')),
      fc
        .tuple(fc.array(pieces, { maxLength: 4 }), fc.string({ unit: 'binary', maxLength: 12 }))
        .map(([p, s]) => p.join('') + s),
      fc.string({ unit: 'binary', maxLength: 24 }),
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
    );
    const publicUrls = fc.constantFrom(
      'http://localhost:3000',
      'https://herald.example.com',
      'https://herald.example.com:8443',
      'http://127.0.0.1:3000',
    );
    fc.assert(
      fc.property(hostile, publicUrls, (value, publicUrl) => {
        const answer = safeNextPath(value, publicUrl);
        const origin = new URL(publicUrl).origin;
        expect(answer.startsWith('/')).toBe(true);
        // Where the server's redirect and the form's location.assign lead, from any page of the site.
        expect(new URL(answer, publicUrl).origin).toBe(origin);
        expect(new URL(answer, `${origin}/sign-in?next=x`).origin).toBe(origin);
        // Applying it twice changes nothing: the answer is already a plain path.
        expect(safeNextPath(answer, publicUrl)).toBe(answer);
      }),
      { numRuns: 5_000 },
    );
  });
});
