'use client';

import { Tooltip as T } from 'radix-ui';
import type { ReactNode } from 'react';

/**
 * A tooltip on hover and keyboard focus (Radix: positioning, delay, Escape, aria-describedby).
 * Carries its own provider, so it works anywhere in the tree.
 */
export function Tooltip({
  content,
  children,
  side = 'top',
}: {
  content: ReactNode;
  /** One element that can hold a ref (it becomes the trigger). */
  children: ReactNode;
  side?: 'top' | 'bottom' | 'left' | 'right';
}) {
  return (
    <T.Provider delayDuration={300}>
      <T.Root>
        <T.Trigger asChild>{children}</T.Trigger>
        <T.Portal>
          <T.Content
            side={side}
            sideOffset={4}
            collisionPadding={8}
            className="z-50 max-w-md whitespace-pre-line break-words rounded-md bg-zinc-900 px-2.5 py-1.5 text-xs text-white shadow-lg dark:bg-zinc-100 dark:text-zinc-900"
          >
            {content}
            <T.Arrow className="fill-zinc-900 dark:fill-zinc-100" />
          </T.Content>
        </T.Portal>
      </T.Root>
    </T.Provider>
  );
}

/** Text cut to one line with an ellipsis; the whole text in a tooltip. */
export function Truncated({ text, className = '' }: { text: string; className?: string }) {
  return (
    <Tooltip content={text}>
      <span className={`block truncate ${className}`}>{text}</span>
    </Tooltip>
  );
}
