import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import pg from 'pg';
import { HeraldProcess, taggedProcesses } from './support/herald-process';
import { databaseUrlOf, isolate } from './support/isolated';

// Beside the webServer's Herald (HERALD_E2E_PORT, 3100); reuses its production build instead of building again.
const PORT = Number(process.env.HERALD_E2E_PORT || 3100) + 1;
const READY = new RegExp(`Herald is running at http://localhost:${PORT}`);

async function query<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[]) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

test('start stops every process on SIGINT, and the next start finds the earlier data', async () => {
  test.setTimeout(180_000);
  const isolated = await isolate('lifecycle');
  const tag = randomUUID();
  const env = { ...isolated.env, PORT: String(PORT), HERALD_TEST_TAG: tag };
  try {
    const first = new HeraldProcess(env);
    await first.waitForOutput(READY);
    expect(first.output).not.toContain('building the dashboard');
    const commands = taggedProcesses(tag).map((p) => p.command);
    if (isolated.databaseUrl) {
      // DATABASE_URL given: Herald uses it and starts no PostgreSQL of its own.
      expect(commands).not.toContain('postgres');
      expect(fs.existsSync(path.join(isolated.dataDir, 'postgres'))).toBe(false);
    } else {
      expect(commands).toContain('postgres');
    }
    const url = await databaseUrlOf(first, isolated);
    await query(url, "INSERT INTO herald.audit_log (actor, action, target) VALUES ('e2e', 'marker', $1)", [
      tag,
    ]);

    expect(await first.stop('SIGINT')).toBe(0);
    expect(taggedProcesses(tag)).toEqual([]);

    const second = new HeraldProcess(env);
    await second.waitForOutput(READY);
    const again = await databaseUrlOf(second, isolated);
    const rows = await query(again, 'SELECT 1 FROM herald.audit_log WHERE target = $1', [tag]);
    expect(rows).toHaveLength(1);
    expect(await second.stop('SIGTERM')).toBe(0);
    expect(taggedProcesses(tag)).toEqual([]);
  } finally {
    // Should an assertion fail mid-way, leave no Herald running for the next test.
    for (const { pid } of taggedProcesses(tag)) process.kill(pid, 'SIGKILL');
    await isolated.cleanup();
  }
});
