import { Time } from '@/app/_components/ui/time';
import type { SandboxControls } from '@/lib/sandbox/settings';

/** One line on how the sandbox behaves right now, so nobody wonders why email is refused. */
export function SandboxState({ controls }: { controls: SandboxControls }) {
  const { inMaintenance, maintenanceStartsAt: starts, maintenanceEndsAt: ends } = controls;
  const scheduled = !inMaintenance && starts !== null && (ends === null || ends > new Date());
  const parts = [
    controls.failureRate > 0 ? `${Math.round(controls.failureRate * 100)} % of requests fail (HTTP 500)` : '',
    controls.latencyMs > 0 ? `${controls.latencyMs} ms extra latency` : '',
    controls.retryAfterSeconds !== null ? `Retry-After ${controls.retryAfterSeconds} s on refusals` : '',
  ].filter(Boolean);
  return (
    <p
      data-testid="sandbox-state"
      className={`mb-8 rounded-lg border px-4 py-3 text-sm ${
        inMaintenance
          ? 'border-amber-300 bg-amber-50 text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-200'
          : 'border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900'
      }`}
    >
      {inMaintenance ? (
        <>
          In maintenance{' '}
          {ends ? (
            <>
              until <Time value={ends} absolute />
            </>
          ) : (
            'until someone ends it'
          )}
          : every send is refused with ErrorCode 100 (HTTP 503), which Herald retries.
        </>
      ) : scheduled && starts ? (
        <>
          Up. Maintenance scheduled from <Time value={starts} absolute />
          {ends ? (
            <>
              {' '}
              to <Time value={ends} absolute />
            </>
          ) : null}
          .
        </>
      ) : (
        'Up: accepting email.'
      )}
      {parts.length > 0 && ` ${parts.join(' · ')}.`}
    </p>
  );
}
