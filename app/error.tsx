'use client';

import Link from 'next/link';
import { READ_DIGESTS } from '@/lib/db/read-digests';

/**
 * What a page shows when its server render failed. In production only the error's `digest`
 * reaches the browser, so the read-load refusals (lib/db/reads.ts) carry fixed digests and get
 * their own words here; anything else gets a generic message with the digest to quote.
 */
export default function PageError({
  error,
  retry,
}: {
  error: Error & { digest?: string };
  retry: () => void;
}) {
  const digest = error.digest;
  const [title, text] =
    digest === READ_DIGESTS.read_timeout
      ? [
          'This view took too long',
          'The database stopped the search because it ran past the time allowed for reads. Narrow the filters (a channel, a key, a shorter time range) or try again in a few seconds.',
        ]
      : digest === READ_DIGESTS.too_many_reads
        ? [
            'Too many searches at once',
            'You already have several searches running. Wait for them to finish, then try again.',
          ]
        : [
            'This page could not be loaded',
            `Something went wrong on the server${digest ? ` (reference ${digest})` : ''}. Try again in a moment.`,
          ];
  return (
    <div role="alert" className="max-w-lg">
      <h1 className="mb-2 text-xl font-semibold tracking-tight">{title}</h1>
      <p className="mb-4 text-sm text-zinc-600 dark:text-zinc-400">{text}</p>
      <div className="flex gap-4 text-sm">
        <button
          type="button"
          onClick={() => retry()}
          className="rounded-md bg-zinc-900 px-3 py-1.5 text-white dark:bg-zinc-100 dark:text-zinc-900"
        >
          Try again
        </button>
        <Link className="px-2 py-1.5 underline" href="/">
          Back to the overview
        </Link>
      </div>
    </div>
  );
}
