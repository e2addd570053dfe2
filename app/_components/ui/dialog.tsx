'use client';

import { AlertDialog as A, Dialog as D } from 'radix-ui';
import { type ReactNode, useRef } from 'react';
import { Button } from './button';

/**
 * Modal dialogs on Radix: centred in the viewport, focus trapped inside, Escape and the
 * overlay close them, focus returns to the button that opened them, the title names them.
 */
const overlay = 'fixed inset-0 z-40 bg-black/40 backdrop-blur-[1px]';
const content =
  'fixed left-1/2 top-1/2 z-50 max-h-[calc(100vh-2rem)] w-[calc(100vw-2rem)] max-w-lg -translate-x-1/2 -translate-y-1/2 overflow-y-auto rounded-lg border border-zinc-200 bg-white p-6 text-sm text-zinc-900 shadow-xl focus:outline-none dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100';

/**
 * A confirmation with a form inside (reason, count, progress). Children render only while
 * open, so each opening starts clean.
 */
export function ConfirmDialog({
  open,
  title,
  description,
  children,
  onClose,
}: {
  open: boolean;
  title: string;
  description?: ReactNode;
  children: ReactNode;
  onClose: () => void;
}) {
  // Opened by state, not by a Radix trigger: remember what had focus (still the button that
  // opened it, during this render) and give focus back to it on close.
  const wasOpen = useRef(false);
  const returnTo = useRef<HTMLElement | null>(null);
  if (open && !wasOpen.current && typeof document !== 'undefined')
    returnTo.current = document.activeElement as HTMLElement | null;
  wasOpen.current = open;
  return (
    <D.Root open={open} onOpenChange={(o) => !o && onClose()}>
      <D.Portal>
        <D.Overlay className={overlay} />
        <D.Content
          className={content}
          {...(description ? {} : { 'aria-describedby': undefined })}
          onCloseAutoFocus={(e) => {
            if (!returnTo.current?.isConnected) return;
            e.preventDefault();
            returnTo.current.focus();
          }}
        >
          <D.Title className="mb-4 text-lg font-semibold">{title}</D.Title>
          {description && <D.Description className="mb-4">{description}</D.Description>}
          {open && children}
        </D.Content>
      </D.Portal>
    </D.Root>
  );
}

/** Closes the dialog it is in (e.g. a Cancel button). */
export const DialogClose = D.Close;

/**
 * "Are you sure?" for an action without a form (revoke a key): role alertdialog, focus starts
 * on Cancel, and only the two buttons close it.
 */
export function AlertConfirm({
  trigger,
  title,
  description,
  confirm,
  onConfirm,
}: {
  trigger: ReactNode;
  title: string;
  description: ReactNode;
  confirm: string;
  onConfirm: () => void | Promise<void>;
}) {
  return (
    <A.Root>
      <A.Trigger asChild>{trigger}</A.Trigger>
      <A.Portal>
        <A.Overlay className={overlay} />
        <A.Content className={content}>
          <A.Title className="mb-2 text-lg font-semibold">{title}</A.Title>
          <A.Description className="mb-6 text-zinc-600 dark:text-zinc-400">{description}</A.Description>
          <div className="flex justify-end gap-2">
            <A.Cancel asChild>
              <Button>Cancel</Button>
            </A.Cancel>
            <A.Action asChild>
              <Button variant="danger" onClick={() => void onConfirm()}>
                {confirm}
              </Button>
            </A.Action>
          </div>
        </A.Content>
      </A.Portal>
    </A.Root>
  );
}
