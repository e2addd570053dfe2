'use client';

import { useRouter } from 'next/navigation';
import { type ReactNode, useEffect, useRef } from 'react';

const typing = (t: EventTarget | null) => {
  const el = t as HTMLElement | null;
  return !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT', 'BUTTON'].includes(el.tagName));
};

/**
 * Keyboard for a dense list: j / k move the selected row (rows with `data-href`), Enter opens
 * it. Keys typed into a field are left alone; `/` (the header's lookup box) works as anywhere.
 * The selection is a row's `data-href`, not its position: when a live update adds rows above
 * it or re-renders the list, the same row stays selected and j / k move on from there.
 */
export function RowKeys({ children }: { children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const router = useRouter();
  useEffect(() => {
    let selected: string | undefined;
    /** Where the selection was last seen, for when its row leaves the list. */
    let lastIndex = -1;
    const rows = () => [...(ref.current?.querySelectorAll<HTMLElement>('tr[data-href]') ?? [])];
    const mark = (all: HTMLElement[]) => {
      for (const r of all) {
        const on = selected !== undefined && r.dataset.href === selected;
        if (on && r.getAttribute('aria-selected') !== 'true') r.setAttribute('aria-selected', 'true');
        else if (!on && r.hasAttribute('aria-selected')) r.removeAttribute('aria-selected');
      }
    };
    const current = (all: HTMLElement[]) => {
      const at = all.findIndex((r) => r.dataset.href === selected);
      return at >= 0 ? at : lastIndex;
    };
    const select = (step: number) => {
      const all = rows();
      if (all.length === 0) return;
      const from = current(all);
      const index = Math.max(0, Math.min(all.length - 1, from < 0 ? 0 : from + step));
      selected = all[index]?.dataset.href;
      lastIndex = index;
      mark(all);
      all[index]?.scrollIntoView({ block: 'nearest' });
    };
    // A re-render may replace row elements; put the mark back on the selected one.
    const observer = new MutationObserver(() => {
      if (selected === undefined) return;
      const all = rows();
      lastIndex = current(all);
      mark(all);
    });
    if (ref.current) observer.observe(ref.current, { childList: true, subtree: true });
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
      // Enter on a focused link follows that link.
      if (e.key === 'Enter' && (e.target as HTMLElement | null)?.closest?.('a')) return;
      if (e.key === 'j') select(1);
      else if (e.key === 'k') select(-1);
      else if (e.key === 'Enter' && selected !== undefined) {
        e.preventDefault();
        router.push(selected);
      } else return;
      if (e.key !== 'Enter') e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
      observer.disconnect();
    };
  }, [router]);
  return (
    <div ref={ref} aria-keyshortcuts="j k Enter">
      {children}
    </div>
  );
}
