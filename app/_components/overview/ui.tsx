import Link from 'next/link';
import type { ReactNode } from 'react';
import type { Tone } from '../ui/badge';
import { buttonClass } from '../ui/button';

export { Badge } from '../ui/badge';
/**
 * The dashboard's few building blocks, so every live page looks the same: cards, stats, badges,
 * tables and buttons in one palette (zinc surfaces; sky = published, emerald = delivered,
 * red = failed, amber = waiting), each with a dark variant.
 */
export { Card, cardClass as card } from '../ui/card';
export type { Tone };

export const toneText: Record<Tone, string> = {
  neutral: 'text-zinc-900 dark:text-zinc-100',
  good: 'text-emerald-700 dark:text-emerald-400',
  bad: 'text-red-700 dark:text-red-400',
  warn: 'text-amber-700 dark:text-amber-400',
  info: 'text-sky-700 dark:text-sky-400',
};

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

export const button = buttonClass('secondary');
export const input =
  'rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 text-sm text-zinc-900 focus-visible:outline-2 focus-visible:outline-sky-500 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100';

/** A number that links to its list when there is something to see. */
export function CountLink({ value, href, tone = 'neutral' }: { value: string; href: string; tone?: Tone }) {
  if (value === '0') return <span className="text-zinc-500">0</span>;
  return (
    <Link href={href} className={`hover:underline ${toneText[tone]}`}>
      {value}
    </Link>
  );
}
