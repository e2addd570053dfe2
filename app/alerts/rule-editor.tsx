'use client';

import { useRouter } from 'next/navigation';
import { useTransition } from 'react';
import { alertKindInfo } from '@/lib/alerts/kinds';
import type { RuleView } from '@/lib/alerts/queries';
import { buttonClass } from '../_components/ui/button';
import { toast } from '../_components/ui/toast';
import { saveRule } from './actions';

const small =
  'w-24 rounded-md border border-zinc-300 bg-white px-1.5 py-0.5 text-right tabular-nums dark:border-zinc-700 dark:bg-zinc-900';

/** One rule's numbers as a form (operators); the server action validates and audits. */
export function RuleEditor({ rule }: { rule: RuleView }) {
  const router = useRouter();
  const [pending, start] = useTransition();
  const info = alertKindInfo[rule.kind];
  const label = `${rule.kind}${rule.subscription ? ` for ${rule.subscription}` : ''}`;
  return (
    <form
      aria-label={`Rule ${label}`}
      className="flex flex-wrap items-center gap-3"
      onSubmit={(e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        const num = (k: string) => (f.get(k) === null ? undefined : Number(f.get(k)));
        start(async () => {
          const r = await saveRule({
            kind: rule.kind,
            subscription: rule.subscription,
            enabled: f.get('enabled') === 'on',
            windowSeconds: num('windowSeconds'),
            repeatSeconds: num('repeatSeconds'),
            ...(info.threshold ? { threshold: num('threshold') } : {}),
            ...(info.usesMinCount ? { minCount: num('minCount') } : {}),
          });
          if (r.ok) toast.success(r.message);
          else toast.error(r.message);
          router.refresh();
        });
      }}
    >
      <label className="inline-flex items-center gap-1">
        <input type="checkbox" name="enabled" defaultChecked={rule.enabled} /> on
      </label>
      <label className="inline-flex items-center gap-1">
        {info.window}
        <input
          name="windowSeconds"
          type="number"
          min={0}
          defaultValue={rule.windowSeconds}
          className={small}
        />
      </label>
      {info.threshold && (
        <label className="inline-flex items-center gap-1">
          {info.threshold}
          <input
            name="threshold"
            type="number"
            min={0}
            step="any"
            defaultValue={rule.threshold}
            className={small}
          />
        </label>
      )}
      {info.usesMinCount && (
        <label className="inline-flex items-center gap-1">
          at least
          <input name="minCount" type="number" min={0} defaultValue={rule.minCount} className={small} />
        </label>
      )}
      <label className="inline-flex items-center gap-1">
        repeat every (s)
        <input
          name="repeatSeconds"
          type="number"
          min={60}
          defaultValue={rule.repeatSeconds}
          className={small}
        />
      </label>
      <button
        type="submit"
        className={buttonClass('secondary', 'sm')}
        disabled={pending}
        aria-label={`Save rule ${label}`}
      >
        Save
      </button>
    </form>
  );
}
