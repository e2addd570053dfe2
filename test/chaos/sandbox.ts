import { createLogger } from '../../lib/log';
import { type RunningSandbox, startSandbox } from '../../lib/sandbox/server';
import { PublishLoad } from './load';
import type { Stage } from './stage';

/** The local Postmark sandbox on a free port, writing to the stage's database; quiet logs. */
export async function chaosSandbox(stage: Stage): Promise<RunningSandbox> {
  const log = createLogger('chaos-sandbox');
  log.level = 'fatal'; // it logs every refused send during an outage
  return startSandbox({ port: 0, databaseUrl: stage.db.url, serverToken: 'herald-sandbox', log });
}

/** Worker environment for the email subscribers, sending to `sandbox`. */
export function emailEnv(sandbox: RunningSandbox, extra: Record<string, string>): Record<string, string> {
  return {
    CHAOS_EMAIL: '1',
    POSTMARK_API_URL: sandbox.url,
    HERALD_SANDBOX_TOKEN: 'herald-sandbox',
    ...extra,
  };
}

/** Every other event an email (to the sandbox), the rest recorder events. */
export function mixedLoad(stage: Stage, perSecond: number, maxMs: number): PublishLoad {
  return new PublishLoad({
    databaseUrl: stage.db.url,
    apiToken: stage.apiToken,
    perSecond,
    item: (n) =>
      n % 2 === 0
        ? {
            channel: 'email.send',
            payload: { to: `customer${n}@example.com`, subject: `Order ${n}`, text: 'Thank you.' },
          }
        : { channel: 'test.event', payload: { n } },
  }).start(maxMs);
}
