import { can, type Principal } from '../auth/principal';

/** Support users must say why they act on a delivery; operators may. */
export function reasonRequired(me: Principal): boolean {
  return me.role === 'support';
}

/** What the timeline may offer this person; the server actions check again when they run. */
export interface ActorView {
  /** Replay or retry now one delivery (deliveries:act). */
  canAct: boolean;
  /** Discard one delivery for good: operators only (deliveries:discard). */
  canDiscard: boolean;
  reasonRequired: boolean;
}

export function actorView(me: Principal): ActorView {
  return {
    canAct: can(me, 'deliveries:act'),
    canDiscard: can(me, 'deliveries:discard'),
    reasonRequired: reasonRequired(me),
  };
}
