'use client';

import Link from 'next/link';
import { DropdownMenu as M } from 'radix-ui';
import type { ReactNode } from 'react';

/** A dropdown menu on Radix: arrow keys, typeahead, Escape, focus back to the trigger. */
export function Menu({
  trigger,
  label,
  children,
  align = 'end',
}: {
  trigger: ReactNode;
  label: string;
  children: ReactNode;
  align?: 'start' | 'end';
}) {
  return (
    <M.Root modal={false}>
      <M.Trigger asChild aria-label={label}>
        {trigger}
      </M.Trigger>
      <M.Portal>
        <M.Content
          align={align}
          sideOffset={6}
          collisionPadding={8}
          className="z-50 min-w-48 rounded-md border border-zinc-200 bg-white p-1 text-sm text-zinc-900 shadow-lg dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100"
        >
          {children}
        </M.Content>
      </M.Portal>
    </M.Root>
  );
}

const item =
  'flex w-full cursor-pointer select-none items-center rounded px-2.5 py-1.5 outline-none data-[highlighted]:bg-zinc-100 aria-[current=page]:font-semibold dark:data-[highlighted]:bg-zinc-800';

export function MenuLink({
  href,
  children,
  current,
}: {
  href: string;
  children: ReactNode;
  current?: boolean;
}) {
  return (
    <M.Item asChild className={item}>
      <Link href={href} aria-current={current ? 'page' : undefined}>
        {children}
      </Link>
    </M.Item>
  );
}

export function MenuItem({ onSelect, children }: { onSelect: () => void; children: ReactNode }) {
  return (
    <M.Item className={item} onSelect={onSelect}>
      {children}
    </M.Item>
  );
}

export function MenuLabel({ children }: { children: ReactNode }) {
  return <M.Label className="px-2.5 py-1 text-xs text-zinc-600 dark:text-zinc-400">{children}</M.Label>;
}

export const MenuSeparator = () => <M.Separator className="my-1 h-px bg-zinc-200 dark:bg-zinc-700" />;
