import type { Principal } from '../auth/principal';

/** Support users must say why they act on a delivery; operators may. */
export function reasonRequired(me: Principal): boolean {
  return me.role === 'support';
}
