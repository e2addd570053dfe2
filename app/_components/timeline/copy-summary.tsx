'use client';

import { useState } from 'react';
import { buttonClass } from './confirm-dialog';

/** Puts the ticket-ready summary on the clipboard. */
export function CopySummary({ text, label = 'Copy summary' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState<string | null>(null);
  return (
    <span className="inline-flex items-center gap-2">
      <button
        type="button"
        className={buttonClass}
        onClick={async () => {
          try {
            await navigator.clipboard.writeText(text);
            setCopied('Copied');
          } catch {
            setCopied('Copy failed: select the text below instead');
          }
        }}
      >
        {label}
      </button>
      <span role="status" className="text-xs text-zinc-500">
        {copied}
      </span>
    </span>
  );
}
