'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { toast } from '@/app/_components/ui/toast';
import { Button, Field, Problem, send } from '../../account/_form';

/** Replay one dead delivery; the reason goes to the audit log. */
export function ReplayForm({ id }: { id: number }) {
  const router = useRouter();
  const [problem, setProblem] = useState('');
  return (
    <form
      className="max-w-sm space-y-4"
      onSubmit={async (e) => {
        e.preventDefault();
        const reason = String(new FormData(e.currentTarget).get('reason')).trim();
        const sent = await send(`/api/v1/deliveries/${id}/replay`, 'POST', { reason });
        if (!sent.ok) return setProblem(sent.message);
        setProblem('');
        toast.success(`Delivery ${id} queued for replay`);
        router.refresh();
      }}
    >
      <Field label="Reason" name="reason" required maxLength={1000} placeholder="Postmark outage is over" />
      <Problem>{problem}</Problem>
      <Button type="submit">Replay</Button>
    </form>
  );
}
