import { runWorkerProcess } from '../../worker/run';

/**
 * A worker whose LISTEN connection, once lost, stays lost: the chaos suite's bite test runs it to
 * show that the network-stall scenario notices a listener that never comes back.
 */
runWorkerProcess({ listenerReconnect: false });
