import { runWorkerProcess } from './run';

/** The worker process: `npm run worker`, and the one `herald start` supervises. */
runWorkerProcess();
