'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';

/** Re-renders the server page every few seconds while ticked: the outbox fills up live in a demo. */
export function AutoRefresh({ seconds }: { seconds: number }) {
  const router = useRouter();
  const [live, setLive] = useState(true);
  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => router.refresh(), seconds * 1000);
    return () => clearInterval(timer);
  }, [live, router, seconds]);
  return (
    <label className="flex items-center gap-2 text-sm text-zinc-600 dark:text-zinc-400">
      <input type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} />
      Live
    </label>
  );
}
