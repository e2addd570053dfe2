import { type Principal, rolePermissions } from '../../lib/auth/principal';

/**
 * Who a CLI command acts as: someone with a shell on the server may already do everything an
 * operator may, so the tools act as one, named `cli:<login>` in the audit log.
 */
export function cliOperator(): Principal {
  const user = process.env.USER ?? 'unknown';
  return {
    kind: 'user',
    id: `cli:${user}`,
    name: user,
    actor: `cli:${user}`,
    role: 'operator',
    permissions: new Set(rolePermissions.operator),
  };
}
