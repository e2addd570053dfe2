import type { Overview } from '@/lib/queries/overview';
import { formatCount } from './format';

/** Shown only when work is due on an active subscription and no worker heartbeat is recent. */
export function NoWorkersWarning({ data }: { data: Overview }) {
  if (!data.noWorkers) return null;
  return (
    <div
      role="alert"
      className="rounded-lg border border-red-300 bg-red-50 px-4 py-3 text-sm text-red-900 dark:border-red-900 dark:bg-red-950 dark:text-red-200"
    >
      <p className="font-semibold">No workers are running</p>
      <p>
        {formatCount(data.queue.pendingDue, data.queue.capped.pendingDue)} deliveries are due and nothing is
        processing them: no worker has sent a heartbeat in the last {data.heartbeatMaxAgeSeconds} s. Start one
        with <code className="font-mono">npm run worker</code> (or check why it stopped).
      </p>
    </div>
  );
}
