import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { alias: { '@': fileURLToPath(new URL('.', import.meta.url)) } },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Each file gets its own database cloned from a migrated template, so files run in parallel.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // In CI: every test on its own line (so a retry shows as "(retry x1)"), and one retry, so
    // that a timing flake on a loaded machine is reported by name (.ci/run's summary) instead
    // of failing the run. A test that fails twice still fails.
    reporters: process.env.CI ? ['verbose'] : ['default'],
    retry: process.env.CI ? 1 : 0,
  },
});
