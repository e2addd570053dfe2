import fs from 'node:fs';
import path from 'node:path';
import { sharedDb } from '../db/client';
import { authSettings } from './config';
import { issueSetupLink } from './setup';

export const SETUP_LINK_FILE = 'setup-link.txt';

/**
 * On a start with no users: prints the one-time setup link once, and writes it to
 * `<HERALD_DATA_DIR>/setup-link.txt` (0600) for scripts and tests that do not read the console.
 * The link is the only way to the first account, so this is the one place a token is printed.
 */
export async function announceSetupLink(): Promise<void> {
  const settings = authSettings();
  const link = await issueSetupLink(sharedDb(), settings.publicUrl);
  const file = path.join(settings.dataDir, SETUP_LINK_FILE);
  if (!link) {
    fs.rmSync(file, { force: true });
    return;
  }
  fs.mkdirSync(settings.dataDir, { recursive: true });
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, `${link}\n`, { mode: 0o600 });
  process.stdout.write(
    `\n[herald] No one can sign in yet. Open this link to choose the first admin's password (valid 24 h, once):\n[herald]   ${link}\n\n`,
  );
}
