'use client';

import { useRouter } from 'next/navigation';
import { useEffect } from 'react';

/**
 * Re-renders the page from the server every few seconds — unless paused: while rows are
 * selected or a dialog is open, the rows under the operator's hands must not change.
 */
export function LiveRefresh({ paused, everyMs = 5_000 }: { paused: boolean; everyMs?: number }) {
  const router = useRouter();
  useEffect(() => {
    if (paused) return;
    const timer = setInterval(() => router.refresh(), everyMs);
    return () => clearInterval(timer);
  }, [paused, everyMs, router]);
  return (
    <p role="status" className="text-xs text-zinc-500">
      {paused
        ? 'Live updates paused while rows are selected or a dialog is open'
        : 'Live: refreshes every few seconds'}
    </p>
  );
}
