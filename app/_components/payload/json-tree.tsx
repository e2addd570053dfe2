import type { ReactNode } from 'react';

/**
 * A JSON value as a tree whose objects and arrays fold: each is a native <details>, so folding
 * works by mouse, keyboard (Enter/Space on its summary) and screen reader with no script, and
 * the browser's find-in-page opens folded parts. Nested levels start open up to `openDepth`.
 */
export function JsonTree({ value, openDepth = 3 }: { value: unknown; openDepth?: number }) {
  return (
    <div className="font-mono text-xs leading-5" data-testid="json-tree">
      <Node value={value} depth={0} openDepth={openDepth} />
    </div>
  );
}

const keyClass = 'text-sky-800 dark:text-sky-300';

function Leaf({ value }: { value: unknown }) {
  if (value === null) return <span className="text-zinc-500">null</span>;
  if (typeof value === 'string')
    return <span className="break-all text-emerald-800 dark:text-emerald-300">{JSON.stringify(value)}</span>;
  if (typeof value === 'number' || typeof value === 'boolean')
    return <span className="text-violet-800 dark:text-violet-300">{String(value)}</span>;
  return <span>{JSON.stringify(value)}</span>;
}

function Node({
  value,
  depth,
  openDepth,
  label,
}: {
  value: unknown;
  depth: number;
  openDepth: number;
  label?: ReactNode;
}) {
  const isArray = Array.isArray(value);
  if (value === null || typeof value !== 'object')
    return (
      <div>
        {label}
        <Leaf value={value} />
      </div>
    );
  const entries: [string, unknown][] = isArray
    ? (value as unknown[]).map((v, i) => [String(i), v])
    : Object.entries(value as Record<string, unknown>);
  const [open, close] = isArray ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0)
    return (
      <div>
        {label}
        {open}
        {close}
      </div>
    );
  const summary = isArray ? `${entries.length} items` : `${entries.length} keys`;
  return (
    // Child selectors, not Tailwind's `group-open`: that one matches any open ancestor, so a
    // folded level inside an open one would lose its "2 keys }" hint.
    <details
      open={depth < openDepth}
      className="[&[open]>summary>.fold-hint]:hidden [&[open]>summary>.chevron]:rotate-90"
    >
      <summary className="cursor-pointer select-none list-none [&::-webkit-details-marker]:hidden">
        <span aria-hidden className="chevron inline-block w-3 text-zinc-500">
          ›
        </span>
        {label}
        {open}
        <span className="fold-hint text-zinc-500">
          {' '}
          {summary} {close}
        </span>
      </summary>
      <div className="ml-1.5 border-l border-zinc-200 pl-3 dark:border-zinc-700">
        {entries.map(([k, v]) => (
          <Node
            key={k}
            value={v}
            depth={depth + 1}
            openDepth={openDepth}
            label={isArray ? undefined : <span className={keyClass}>{JSON.stringify(k)}: </span>}
          />
        ))}
      </div>
      {/* Content after the summary shows only while open: the closing bracket goes with it. */}
      <div className="pl-3">{close}</div>
    </details>
  );
}
