import type { HTMLAttributes, ReactNode, TdHTMLAttributes, ThHTMLAttributes } from 'react';

/**
 * Dense tables: one line per row (about 25 px), sticky column headers, long cells cut with an
 * ellipsis (give them a tooltip). The wrapper scrolls sideways on narrow screens only, so from
 * `lg` up the headers stick to the top of the page while it scrolls.
 */
export function Table({
  children,
  label,
  caption,
  className = '',
  ...rest
}: { children: ReactNode; label?: string; caption?: string } & HTMLAttributes<HTMLTableElement>) {
  return (
    <div className="overflow-x-auto rounded-lg border border-zinc-200 bg-white lg:overflow-visible dark:border-zinc-800 dark:bg-zinc-900">
      <table
        aria-label={label}
        className={`w-full border-separate border-spacing-0 text-left text-[13px] ${className}`}
        {...rest}
      >
        {caption && <caption className="sr-only">{caption}</caption>}
        {children}
      </table>
    </div>
  );
}

export function Th({
  className = '',
  numeric = false,
  ...props
}: ThHTMLAttributes<HTMLTableCellElement> & { numeric?: boolean }) {
  return (
    <th
      scope="col"
      className={`sticky top-0 z-10 whitespace-nowrap border-b border-zinc-200 bg-zinc-50 px-2.5 py-1.5 text-xs font-medium text-zinc-600 first:rounded-tl-lg last:rounded-tr-lg dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-400 ${numeric ? 'text-right' : ''} ${className}`}
      {...props}
    />
  );
}

export function Td({
  className = '',
  numeric = false,
  ...props
}: TdHTMLAttributes<HTMLTableCellElement> & { numeric?: boolean }) {
  return (
    <td
      className={`whitespace-nowrap border-b border-zinc-100 px-2.5 py-0.5 leading-5 dark:border-zinc-800 ${numeric ? 'text-right tabular-nums' : ''} ${className}`}
      {...props}
    />
  );
}

/** Row hover and keyboard selection (aria-selected, set by RowKeys). */
export const rowClass =
  'hover:bg-zinc-50 aria-selected:bg-sky-50 aria-selected:outline aria-selected:outline-1 aria-selected:-outline-offset-1 aria-selected:outline-sky-400 dark:hover:bg-zinc-800/60 dark:aria-selected:bg-sky-950/60';
