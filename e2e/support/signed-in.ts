import fs from 'node:fs';
import path from 'node:path';
import { test as base, expect, type Page } from '@playwright/test';

/**
 * Every page needs a session. The e2e server starts with no users, so the first spec to need
 * one spends the first-run setup link (which `herald start` also writes to
 * <HERALD_DATA_DIR>/setup-link.txt) to create this admin; later ones sign in as it.
 */
export const E2E_ADMIN = { email: 'admin@e2e.example', password: 'e2e admin password 1' };
/** e2e/server.ts runs Herald with HERALD_DATA_DIR=.herald/e2e-server (e2e/support/isolated.ts). */
export const SETUP_LINK_FILE = path.join('.herald', 'e2e-server', 'setup-link.txt');

export function setupToken(): string | null {
  try {
    const link = fs.readFileSync(SETUP_LINK_FILE, 'utf8').trim();
    return new URL(link).searchParams.get('token');
  } catch {
    return null;
  }
}

/** Signs the page's context in as the e2e admin, creating it with the setup link if needed. */
export async function signInAsAdmin(page: Page, baseURL: string): Promise<void> {
  // Requests from Playwright carry no Origin of their own; Herald refuses state changes without one.
  const headers = { origin: baseURL };
  const token = setupToken();
  if (token) {
    const setup = await page.request.post('/api/auth/setup', { data: { token, ...E2E_ADMIN }, headers });
    if (setup.status() === 201) return;
  }
  const signIn = await page.request.post('/api/auth/sign-in', { data: E2E_ADMIN, headers });
  expect(signIn.status(), await signIn.text()).toBe(200);
}

/** `test` whose `page` is already signed in as the e2e admin. */
export const test = base.extend({
  page: async ({ page, baseURL }, use) => {
    await signInAsAdmin(page, baseURL ?? '');
    await use(page);
  },
});

export { expect };
