import { z } from 'zod';
import {
  createUser,
  emailSchema,
  generatePassword,
  listUsers,
  passwordSchema,
  roleSchema,
} from '@/lib/auth/users';
import { readJson } from '@/lib/http/body';
import { withRoute } from '@/lib/http/route';
import { parseOr422 } from '@/lib/http/validate';

export const dynamic = 'force-dynamic';

const NewUser = z.strictObject({
  email: emailSchema,
  role: roleSchema,
  name: z.string().max(200).optional(),
  /** Without one, a password is generated and returned once, for the admin to pass on. */
  password: passwordSchema.optional(),
});

export const GET = withRoute({ permission: 'admin' }, async ({ db }) =>
  Response.json({ users: await listUsers(db) }),
);

/** Creates a person (audited `user.create`); 409 when the email is taken. */
export const POST = withRoute({ permission: 'admin' }, async ({ request, principal, db }) => {
  const body = parseOr422(NewUser, await readJson(request));
  const password = body.password ?? generatePassword();
  const user = await createUser(db, { ...body, password }, principal.actor);
  return Response.json(
    { user, ...(body.password ? {} : { password }) },
    { status: 201, headers: { 'Cache-Control': 'no-store' } },
  );
});
