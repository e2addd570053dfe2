import type { ChaosScale } from '../scale';
import type { ChaosServer } from '../server';
import type { ScenarioResult } from '../stage';
import { badInput } from './bad-input';
import { connectionKills } from './connection-kills';
import { dbRestart } from './db-restart';
import { longProviderOutage } from './long-provider-outage';
import { networkStall } from './network-stall';
import { providerOutage } from './provider-outage';
import { slowProvider } from './slow-provider';
import { workerCrash } from './worker-crash';
import { workerFreeze } from './worker-freeze';

export type Scenario = (server: ChaosServer, scale: ChaosScale) => Promise<ScenarioResult>;

/** Every scenario, in the order the suite runs them. */
export const scenarios: Record<string, Scenario> = {
  'worker-crash': workerCrash,
  'worker-freeze': (server, scale) => workerFreeze(server, scale),
  'db-restart': dbRestart,
  'connection-kills': connectionKills,
  'network-stall': (server, scale) => networkStall(server, scale),
  'provider-outage': providerOutage,
  'long-provider-outage': longProviderOutage,
  'slow-provider': slowProvider,
  'bad-input': badInput,
};
