import type { ReactNode } from 'react';

/** Colour says what a state means, the same on every page (zinc neutral, emerald good, red bad, amber waiting, sky moving). */
export type Tone = 'neutral' | 'good' | 'bad' | 'warn' | 'info';

const toneBadge: Record<Tone, string> = {
  neutral: 'bg-zinc-100 text-zinc-700 ring-zinc-300 dark:bg-zinc-800 dark:text-zinc-200 dark:ring-zinc-700',
  good: 'bg-emerald-50 text-emerald-800 ring-emerald-200 dark:bg-emerald-950 dark:text-emerald-300 dark:ring-emerald-900',
  bad: 'bg-red-50 text-red-800 ring-red-200 dark:bg-red-950 dark:text-red-300 dark:ring-red-900',
  warn: 'bg-amber-50 text-amber-900 ring-amber-200 dark:bg-amber-950 dark:text-amber-300 dark:ring-amber-900',
  info: 'bg-sky-50 text-sky-800 ring-sky-200 dark:bg-sky-950 dark:text-sky-300 dark:ring-sky-900',
};

export function Badge({ tone = 'neutral', children }: { tone?: Tone; children: ReactNode }) {
  return (
    <span
      className={`inline-flex items-center whitespace-nowrap rounded-full px-2 py-px text-xs font-medium ring-1 ring-inset ${toneBadge[tone]}`}
    >
      {children}
    </span>
  );
}

const stateTone: Record<string, Tone> = {
  pending: 'warn',
  running: 'info',
  succeeded: 'good',
  dead: 'bad',
  discarded: 'neutral',
};

/** A delivery's state as a badge: `succeeded`, `pending`, `running`, `dead`… */
export function StateBadge({ state, children }: { state: string; children?: ReactNode }) {
  return <Badge tone={stateTone[state] ?? 'neutral'}>{children ?? state}</Badge>;
}
