import type pg from 'pg';
import * as eventsRoute from '../../app/api/v1/events/route';
import * as webhookRoute from '../../app/api/v1/webhooks/postmark/route';
import { createApiKey } from '../../lib/auth/api-keys';
import { createDb, createPool, type Db } from '../../lib/db/client';

/**
 * The HTTP API, in-process: the exported route handlers with real Requests and an API key. They
 * read their database from lib/db/client's per-process holder, which we point at the current
 * scenario's database (each scenario has its own, so one process serves them all in turn).
 */
export type RouteHandler = (
  request: Request,
  context: { params: Promise<Record<string, string>> },
) => Promise<Response>;

export const publishRoute = eventsRoute.POST as RouteHandler;
export const postmarkWebhookRoute = webhookRoute.POST as (request: Request) => Promise<Response>;

const holder = globalThis as unknown as { heraldPool?: pg.Pool; heraldDb?: Db };

/** Point the route handlers at `url` (as `herald-app`, so connection kills hit it too). */
export async function pointAppAt(url: string): Promise<void> {
  const previous = holder.heraldPool;
  holder.heraldPool = createPool(url, { max: 6, applicationName: 'herald-app', queryTimeoutMs: 30_000 });
  holder.heraldDb = createDb(holder.heraldPool);
  await previous?.end().catch(() => {});
}

export async function closeApp(): Promise<void> {
  const pool = holder.heraldPool;
  holder.heraldPool = undefined;
  holder.heraldDb = undefined;
  await pool?.end().catch(() => {});
}

export async function chaosApiKey(db: Db): Promise<string> {
  const { token } = await createApiKey(db, {
    name: 'chaos',
    scopes: ['publish', 'read', 'operate'],
    publishChannels: ['*'],
    rateLimitPerMinute: 1_000_000,
    createdBy: 'chaos',
  });
  return token;
}
