import { type Config, config } from '../config';
import { resolvePublicUrl } from '../public-url';

/** The console's address for links in alerts: HERALD_PUBLIC_URL, as sign-in uses it. */
export function publicUrl(cfg: Config = config()): string {
  return resolvePublicUrl(cfg.HERALD_PUBLIC_URL, cfg.PORT);
}

/** A destination configured by the environment, kept in herald.alert_destinations as `env:<kind>`. */
export interface EnvDestination {
  name: string;
  kind: 'slack' | 'webhook';
  url: string;
  secret: string | null;
}

export function envDestinations(cfg: Config = config()): EnvDestination[] {
  const found: EnvDestination[] = [];
  if (cfg.HERALD_ALERT_SLACK_URL)
    found.push({ name: 'env:slack', kind: 'slack', url: cfg.HERALD_ALERT_SLACK_URL, secret: null });
  if (cfg.HERALD_ALERT_WEBHOOK_URL)
    found.push({
      name: 'env:webhook',
      kind: 'webhook',
      url: cfg.HERALD_ALERT_WEBHOOK_URL,
      secret: cfg.HERALD_ALERT_WEBHOOK_SECRET ?? null,
    });
  return found;
}
