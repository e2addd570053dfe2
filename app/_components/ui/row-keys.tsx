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
 */
export function RowKeys({ children }: { children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const router = useRouter();
  useEffect(() => {
    let index = -1;
    const rows = () => [...(ref.current?.querySelectorAll<HTMLElement>('tr[data-href]') ?? [])];
    const select = (next: number) => {
      const all = rows();
      if (all.length === 0) return;
      index = Math.max(0, Math.min(all.length - 1, next));
      all.forEach((r, i) => {
        if (i === index) r.setAttribute('aria-selected', 'true');
        else r.removeAttribute('aria-selected');
      });
      all[index]?.scrollIntoView({ block: 'nearest' });
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
      // Enter on a focused link follows that link.
      if (e.key === 'Enter' && (e.target as HTMLElement | null)?.closest?.('a')) return;
      if (e.key === 'j') select(index + 1);
      else if (e.key === 'k') select(index - 1);
      else if (e.key === 'Enter' && index >= 0) {
        const href = rows()[index]?.dataset.href;
        if (!href) return;
        e.preventDefault();
        router.push(href);
      } else return;
      if (e.key !== 'Enter') e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [router]);
  return (
    <div ref={ref} aria-keyshortcuts="j k Enter">
      {children}
    </div>
  );
}
