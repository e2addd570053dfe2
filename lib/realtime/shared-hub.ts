import { config } from '../config';
import { databaseUrl } from '../db/client';
import { formatLsn } from '../db/lsn';
import { sharedReadRouter, writePosition } from '../db/read-routing';
import { createLogger } from '../log';
import { ActivityHub } from './hub';

// One hub (one LISTEN connection) per server process, on globalThis like the pool, so hot
// reload and the several module copies Next.js may load never open a second one.
const holder = globalThis as unknown as { heraldActivityHub?: ActivityHub };

export function sharedHub(): ActivityHub {
  holder.heraldActivityHub ??= new ActivityHub({
    url: databaseUrl(),
    log: createLogger('realtime'),
    pingIntervalMs: config().HERALD_LISTENER_PING_MS,
    position: sharedReadRouter().hasReplica
      ? async () => {
          const lsn = await writePosition();
          return lsn === null ? null : formatLsn(lsn);
        }
      : undefined,
  });
  return holder.heraldActivityHub;
}
