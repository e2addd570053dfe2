import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from './cli';

/**
 * What a server-rendered page sends to the browser, without a bundler: the element tree a page
 * returns is walked, server components are called (awaited when async), and for client
 * components — whose props travel to the browser in the RSC payload — every prop value is
 * collected. The text is a superset of what the browser receives (HTML and RSC payload), so
 * "this string is not in it" is a safe assertion.
 */
export interface Rendered {
  /** Every string and number of the page, one per line. */
  text: string;
  /** Every DOM element (`input`, `p`, …) with its props, for looking at forms. */
  elements: { type: string; props: Record<string, unknown> }[];
}

let clientComponents: Set<unknown> | null = null;

/** Exports of every module under app/ that starts with 'use client'. */
async function loadClientComponents(): Promise<Set<unknown>> {
  if (clientComponents) return clientComponents;
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (/\.tsx?$/.test(e.name) && /^\s*['"]use client['"]/.test(fs.readFileSync(full, 'utf8')))
        files.push(full);
    }
  };
  walk(path.join(projectRoot, 'app'));
  const set = new Set<unknown>();
  for (const file of files) {
    const mod: Record<string, unknown> = await import(file);
    for (const value of Object.values(mod)) if (typeof value === 'function') set.add(value);
  }
  clientComponents = set;
  return set;
}

type Element = { $$typeof: symbol; type: unknown; props: Record<string, unknown> };
const isElement = (v: unknown): v is Element =>
  typeof v === 'object' && v !== null && '$$typeof' in v && 'props' in v && 'type' in v;
const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';

export async function renderTree(tree: unknown): Promise<Rendered> {
  const client = await loadClientComponents();
  const text: string[] = [];
  const elements: Rendered['elements'] = [];
  const seen = new Set<unknown>();

  async function value(v: unknown, depth: number): Promise<void> {
    if (depth > 200) throw new Error('tree too deep');
    if (v === null || v === undefined || typeof v === 'boolean' || typeof v === 'function') return;
    if (typeof v === 'string') return void text.push(v);
    if (typeof v === 'number' || typeof v === 'bigint') return void text.push(String(v));
    if (typeof v === 'symbol') return;
    if (v instanceof Date) return void text.push(v.toISOString());
    if (isThenable(v)) return value(await v, depth + 1);
    if (isElement(v)) return element(v, depth + 1);
    if (typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    // Adjacent text (`Event {id}`) is one text node in the browser: keep it together.
    if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' || typeof x === 'number'))
      return void text.push(v.join(''));
    if (v instanceof Map) {
      for (const [k, x] of v) {
        await value(k, depth + 1);
        await value(x, depth + 1);
      }
      return;
    }
    if (v instanceof Set) {
      for (const x of v) await value(x, depth + 1);
      return;
    }
    for (const x of Object.values(v)) await value(x, depth + 1);
  }

  async function element(el: Element, depth: number): Promise<void> {
    const { type, props } = el;
    if (typeof type === 'string') {
      elements.push({ type, props });
      return value(props, depth);
    }
    if (typeof type === 'function' && !client.has(type)) {
      let out: unknown;
      try {
        out = await (type as (p: unknown) => unknown)(props);
      } catch (error) {
        // Next's control flow (redirect, notFound, forbidden) goes up as it would in Next.
        if ((error as { digest?: unknown })?.digest) throw error;
        // A client component from a package (next/link): it uses hooks; its props are what it gets.
        return value(props, depth);
      }
      return value(out, depth);
    }
    // Client components, fragments, Suspense, providers: all their props reach the browser.
    return value(props, depth);
  }

  await value(tree, 0);
  return { text: text.join('\n'), elements };
}
