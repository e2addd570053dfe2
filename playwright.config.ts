import fs from 'node:fs';
import { chromium, defineConfig } from '@playwright/test';

/**
 * End-to-end tests in a real Chromium against the production build, started by the real
 * `herald start` on a database of its own (see e2e/server.ts).
 */
// HERALD_E2E_PORT lets a second checkout run its e2e tests beside this one.
const PORT = Number(process.env.HERALD_E2E_PORT || 3100);
const SYSTEM_CHROMIUM = '/usr/bin/chromium';

function browserPath(): string | undefined {
  // Debian's chromium when present (what CI installs), else the one `npx playwright install` fetched.
  if (fs.existsSync(SYSTEM_CHROMIUM)) return SYSTEM_CHROMIUM;
  if (fs.existsSync(chromium.executablePath())) return undefined;
  console.error(
    'herald: no Chromium for the e2e tests — run `apt-get install chromium` or `npx playwright install chromium`',
  );
  process.exit(1);
}

export default defineConfig({
  testDir: 'e2e',
  forbidOnly: !!process.env.CI,
  // One Herald on one small machine: tests share it and run one at a time.
  workers: 1,
  fullyParallel: false,
  // One retry in CI: a flake is then reported as "flaky" by name (.ci/run prints it) instead of failing the run.
  retries: process.env.CI ? 1 : 0,
  reporter: process.env.CI ? [['list'], ['html', { open: 'never' }]] : 'list',
  timeout: 60_000,
  // Visual checks (e2e/visual.spec.ts): the pictures live beside the specs, one folder per spec,
  // with no platform suffix — CI runs on this machine's /usr/bin/chromium, so one set fits both.
  snapshotPathTemplate: '{testDir}/__screenshots__/{testFileName}/{arg}{ext}',
  expect: {
    toHaveScreenshot: {
      // Up to 1 % of the pixels may differ (antialiasing, a font's hinting); a layout change moves far more.
      maxDiffPixelRatio: 0.01,
      animations: 'disabled',
      caret: 'hide',
    },
  },
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: browserPath(),
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: {
    command: 'node --import tsx e2e/server.ts',
    url: `http://127.0.0.1:${PORT}/api/health`,
    env: { PORT: String(PORT) },
    reuseExistingServer: false,
    // The first start on a fresh clone builds the dashboard.
    timeout: 300_000,
    // SIGINT lets `herald start` stop its worker, web server and PostgreSQL in order.
    gracefulShutdown: { signal: 'SIGINT', timeout: 30_000 },
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
