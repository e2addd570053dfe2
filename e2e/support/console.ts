import type { APIRequestContext, Page } from '@playwright/test';
import { expect } from './signed-in';

/** An API key that may publish to every channel, for specs that seed events over HTTP. */
export async function publishKey(request: APIRequestContext, origin: string, name: string): Promise<string> {
  const response = await request.post('/api/auth/api-keys', {
    headers: { origin },
    data: { name: `${name}-${Date.now()}`, scopes: ['publish'], publishChannels: ['*'] },
  });
  expect(response.status(), await response.text()).toBe(201);
  return ((await response.json()) as { token: string }).token;
}

export async function publish(
  request: APIRequestContext,
  token: string,
  channel: string,
  payload: unknown,
  key?: string,
): Promise<number> {
  const response = await request.post('/api/v1/events', {
    headers: { authorization: `Bearer ${token}` },
    data: { channel, payload, ...(key ? { key } : {}) },
  });
  expect(response.status(), await response.text()).toBe(201);
  return ((await response.json()) as { id: number }).id;
}

/** Every page a signed-in admin can open; `:event` and `:delivery` are filled in by the spec. */
export const CONSOLE_PAGES = [
  '/',
  '/live',
  '/events',
  '/events/:event',
  '/deliveries/:delivery',
  '/dead-letters',
  '/subscriptions',
  '/alerts',
  '/sandbox',
  '/lookup',
  '/lookup?q=:key',
  '/audit',
  '/admin/users',
  '/admin/api-keys',
  '/account',
  '/api-docs',
] as const;

/** Opens a page and waits for its heading and for the client to have hydrated. */
export async function openPage(page: Page, path: string): Promise<void> {
  const response = await page.goto(path);
  expect(response?.status(), path).toBe(200);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  // <Time> switches from its server text to the reader's zone once hydrated; wait for that.
  await page.waitForFunction(() => document.readyState === 'complete');
}
