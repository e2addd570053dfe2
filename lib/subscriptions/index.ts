import { channels } from '../channels';
import { subscriptionsFor } from './define';

/** `subscribe()` typed by this installation's channels. */
export const subscribe = subscriptionsFor(channels);
