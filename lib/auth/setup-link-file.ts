import fs from 'node:fs';
import path from 'node:path';

/** `<HERALD_DATA_DIR>/setup-link.txt`: the first-run setup link, mode 0600 (lib/auth/announce.ts). */
export const SETUP_LINK_FILE = 'setup-link.txt';

/** What a person at a terminal is shown: the link itself. */
export const setupLinkLines = (link: string) =>
  `\n[herald] No one can sign in yet. Open this link to choose the first admin's password (valid 24 h, once):\n[herald]   ${link}\n\n`;

/**
 * For `herald start` on a terminal: the notice with the link the web process wrote to
 * `<dataDir>/setup-link.txt`, or null when there is none (someone has an account already). The
 * CLI shows it on its terminal, which its children (their output piped through it) cannot detect.
 * No database or auth imports: the CLI loads this before anything else runs.
 */
export function setupLinkNotice(dataDir: string): string | null {
  let link: string;
  try {
    link = fs.readFileSync(path.join(dataDir, SETUP_LINK_FILE), 'utf8').trim();
  } catch {
    return null;
  }
  return link ? setupLinkLines(link) : null;
}
