import { z } from 'zod';

/**
 * HERALD_PUBLIC_URL, where people reach the console. Two settings read it — sign-in's
 * (lib/auth/config.ts: the setup link, the Origin check) and the shared ones (lib/config.ts:
 * links in alerts) — so its validation and default live here, once.
 */
export const publicUrlSetting = z.url({ protocol: /^https?$/ }).optional();

/** The console's address without a trailing slash; unset: this machine on PORT. */
export function resolvePublicUrl(setting: string | undefined, port: number): string {
  return (setting ?? `http://localhost:${port}`).replace(/\/+$/, '');
}
