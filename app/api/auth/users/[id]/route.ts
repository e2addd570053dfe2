import { z } from 'zod';
import { roleSchema, setUserDisabled, setUserRole } from '@/lib/auth/users';
import { readJson } from '@/lib/http/body';
import { withRoute } from '@/lib/http/route';
import { parseOr422 } from '@/lib/http/validate';

export const dynamic = 'force-dynamic';

const UserChange = z
  .strictObject({ role: roleSchema.optional(), disabled: z.boolean().optional() })
  .refine((c) => c.role !== undefined || c.disabled !== undefined, 'give a role or disabled');

/** Changes someone's role and/or disables them (each change audited); 409 for the last admin. */
export const PATCH = withRoute<{ id: string }>(
  { permission: 'admin' },
  async ({ request, principal, db, params }) => {
    const change = parseOr422(UserChange, await readJson(request));
    let user = change.role ? await setUserRole(db, params.id, change.role, principal.actor) : undefined;
    if (change.disabled !== undefined)
      user = await setUserDisabled(db, params.id, change.disabled, principal.actor);
    return Response.json({ user });
  },
);
