import Link from 'next/link';
import type { ReactNode } from 'react';

/**
 * The dashboard's few building blocks, so every live page looks the same: cards, stats, badges,
 * tables and buttons in one palette (zinc surfaces; sky = published, emerald = delivered,
 * red = failed, amber = waiting), each with a dark variant.
 */
export const card = 'rounded-lg border border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900';

export function Card({
  title,
  actions,
  children,
}: {
  title: string;
  actions?: ReactNode;
  children: ReactNode;
}) {
  const id = `${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-title`;
  return (
    <section aria-labelledby={id} className={`${card} p-4`}>
      <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
        <h2 id={id} className="text-sm font-semibold text-zinc-700 dark:text-zinc-300">
          {title}
        </h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

export type Tone = 'neutral' | 'good' | 'bad' | 'warn' | 'info';

export const toneText: Record<Tone, string> = {
  neutral: 'text-zinc-900 dark:text-zinc-100',
  good: 'text-emerald-700 dark:text-emerald-400',
  bad: 'text-red-700 dark:text-red-400',
  warn: 'text-amber-700 dark:text-amber-400',
  info: 'text-sky-700 dark:text-sky-400',
};

const toneBadge: Record<Tone, string> = {
  neutral: 'bg-zinc-100 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300',
  good: 'bg-emerald-50 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300',
  bad: 'bg-red-50 text-red-800 dark:bg-red-950 dark:text-red-300',
  warn: 'bg-amber-50 text-amber-800 dark:bg-amber-950 dark:text-amber-300',
  info: 'bg-sky-50 text-sky-800 dark:bg-sky-950 dark:text-sky-300',
};

export function Badge({ tone = 'neutral', children }: { tone?: Tone; children: ReactNode }) {
  return (
    <span
      className={`inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ${toneBadge[tone]}`}
    >
      {children}
    </span>
  );
}

/**
 * A labelled number (role=group named by its label, so tests and screen readers find it by
 * name); with `href` the number links to the filtered list behind it.
 */
export function Stat({
  label,
  value,
  hint,
  href,
  tone = 'neutral',
  size = 'lg',
}: {
  label: string;
  value: string;
  hint?: ReactNode;
  href?: string;
  tone?: Tone;
  size?: 'lg' | 'sm';
}) {
  const number = (
    <span
      className={`${size === 'lg' ? 'text-2xl' : 'text-lg'} font-semibold tabular-nums ${toneText[tone]}`}
    >
      {value}
    </span>
  );
  return (
    // biome-ignore lint/a11y/useSemanticElements: a fieldset groups form controls; this is a read-only figure
    <div role="group" aria-label={label} className="min-w-0">
      <div className="truncate text-xs text-zinc-500 dark:text-zinc-400">{label}</div>
      {href ? (
        <Link
          href={href}
          className="rounded hover:underline focus-visible:outline-2 focus-visible:outline-sky-500"
        >
          {number}
        </Link>
      ) : (
        number
      )}
      {hint ? <div className="mt-0.5 text-xs text-zinc-500 dark:text-zinc-400">{hint}</div> : null}
    </div>
  );
}

export const table = 'w-full text-left text-sm';
export const th = 'px-3 py-2 text-xs font-medium text-zinc-500 dark:text-zinc-400';
export const thNum = `${th} text-right`;
export const td = 'border-t border-zinc-100 px-3 py-2 dark:border-zinc-800';
export const tdNum = `${td} text-right tabular-nums`;

export const button =
  'inline-flex items-center gap-1.5 rounded-md border border-zinc-300 bg-white px-3 py-1.5 text-sm font-medium text-zinc-700 hover:bg-zinc-50 focus-visible:outline-2 focus-visible:outline-sky-500 disabled:opacity-50 aria-pressed:border-zinc-900 aria-pressed:bg-zinc-900 aria-pressed:text-white dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-200 dark:hover:bg-zinc-800 dark:aria-pressed:border-zinc-100 dark:aria-pressed:bg-zinc-100 dark:aria-pressed:text-zinc-900';

export const input =
  'rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 text-sm text-zinc-900 focus-visible:outline-2 focus-visible:outline-sky-500 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100';

/** A number that links to its list when there is something to see. */
export function CountLink({ value, href, tone = 'neutral' }: { value: string; href: string; tone?: Tone }) {
  if (value === '0') return <span className="text-zinc-400 dark:text-zinc-600">0</span>;
  return (
    <Link href={href} className={`hover:underline ${toneText[tone]}`}>
      {value}
    </Link>
  );
}
