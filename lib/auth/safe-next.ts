/**
 * Where to go after signing in: the `next` a sign-in link carries, as a path on this site, or
 * `/`. The value is resolved with the WHATWG URL parser — the one the browser uses to follow the
 * redirect — against the public URL, so every trick that parser knows (`\` read as `/`, tabs and
 * newlines dropped, `/./` and `/../` removed, schemes in any case, `user@host`) is judged as the
 * browser would judge it, not by looking at the first characters. Only the same origin passes,
 * and the answer is the parser's own serialisation of path, query and fragment (ASCII,
 * percent-encoded), checked once more so that a path that normalises to `//host` cannot pass.
 *
 * Pure and without Node imports: the sign-in page (server) and the sign-in form (browser) both
 * call it — the page with HERALD_PUBLIC_URL, the form with the origin it runs on.
 */
export function safeNextPath(next: unknown, publicUrl: string): string {
  if (typeof next !== 'string' || next === '') return '/';
  let origin: string;
  let target: URL;
  try {
    origin = new URL(publicUrl).origin;
    target = new URL(next, `${origin}/`);
  } catch {
    return '/';
  }
  if (target.origin !== origin) return '/';
  const path = `${target.pathname}${target.search}${target.hash}`;
  return isPlainPath(path, origin) ? path : '/';
}

/** One leading `/` (not `//`, not `/\`), and it resolves to the same origin from anywhere. */
function isPlainPath(path: string, origin: string): boolean {
  if (!path.startsWith('/') || path.startsWith('//') || path.startsWith('/\\')) return false;
  try {
    return new URL(path, `${origin}/`).origin === origin;
  } catch {
    return false;
  }
}
