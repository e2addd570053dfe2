import fs from 'node:fs';
import path from 'node:path';
import { sharedDb } from '../db/client';
import { authSettings } from './config';
import { issueSetupLink } from './setup';
import { SETUP_LINK_FILE, setupLinkLines } from './setup-link-file';

export { SETUP_LINK_FILE, setupLinkNotice } from './setup-link-file';

export interface AnnounceOptions {
  /** Where the notice goes (default: stdout). The link itself only when it is a terminal… */
  out?: Pick<NodeJS.WriteStream, 'write'> & { isTTY?: boolean };
  /** …or outside production (default: NODE_ENV === 'production'). */
  production?: boolean;
}

/**
 * On a start with no users: issues the one-time setup link and writes it to
 * `<HERALD_DATA_DIR>/setup-link.txt` (0600, created afresh: never through a planted file or link)
 * for the operator, scripts and tests. The link makes whoever opens it first the admin, so in
 * production it is printed only when stdout is a terminal: a service's stdout is a log (journald,
 * the container runtime, a log shipper) that many more people read than the server's files, and
 * that keeps it long after the link is used. There the log says where the file is instead.
 */
export async function announceSetupLink(options: AnnounceOptions = {}): Promise<void> {
  const out = options.out ?? process.stdout;
  const production = options.production ?? process.env.NODE_ENV === 'production';
  const settings = authSettings();
  const link = await issueSetupLink(sharedDb(), settings.publicUrl);
  const file = path.resolve(settings.dataDir, SETUP_LINK_FILE);
  if (!link) {
    fs.rmSync(file, { force: true });
    return;
  }
  fs.mkdirSync(settings.dataDir, { recursive: true, mode: 0o700 });
  fs.rmSync(file, { force: true });
  // `wx`: O_CREAT|O_EXCL, so the 0600 mode always applies and a symlink put in its place is not followed.
  fs.writeFileSync(file, `${link}\n`, { mode: 0o600, flag: 'wx' });
  if (!production || out.isTTY === true) {
    out.write(setupLinkLines(link));
    return;
  }
  out.write(
    `\n[herald] No one can sign in yet. The one-time link to choose the first admin's password (valid 24 h, once) is in ${file} — readable by this account only, and kept out of this log.\n\n`,
  );
}
