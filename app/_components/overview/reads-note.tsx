import type { ReadsInfo } from '@/lib/db/read-routing';

/**
 * Where the console's reads come from (issue 23). Silent without a replica; with one, a quiet
 * line with its lag, or a visible note when reads fell back to the primary (replica down or too
 * far behind): the page keeps working, the operator learns why the primary is busier.
 */
export function ReadsNote({ reads }: { reads: ReadsInfo | undefined }) {
  const replica = reads?.replica;
  if (!reads || !replica) return null;
  if (reads.note)
    return (
      <p
        role="status"
        data-testid="reads-note"
        className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-200"
      >
        {reads.note}
      </p>
    );
  const lag = replica.lagMs === null ? 'unknown' : `${(replica.lagMs / 1000).toFixed(1)} s`;
  return (
    <p data-testid="reads-note" className="text-xs text-zinc-500">
      {reads.source === 'replica'
        ? `Read from the replica, lag ${lag}.`
        : `Read from the primary this time: the replica (lag ${lag}) had not yet replayed what this page already showed.`}
    </p>
  );
}
