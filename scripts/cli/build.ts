import fs from 'node:fs';
import path from 'node:path';

/** What the production build is made from: a change to any of these makes `.next` stale. */
const SOURCES = ['app', 'lib', 'next.config.js', 'postcss.config.mjs', 'package.json', 'tsconfig.json'];

function newestMtime(entry: string): number {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(entry);
  } catch {
    return 0; // optional file or folder that does not exist (yet)
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // catches deleted files too: removing one touches the folder
  for (const child of fs.readdirSync(entry)) newest = Math.max(newest, newestMtime(path.join(entry, child)));
  return newest;
}

/**
 * Why `.next` must be (re)built, or undefined when the existing build is current. Checking mtimes
 * costs milliseconds; an unneeded `next build` costs minutes on a small machine.
 */
export function staleBuildReason(root: string): string | undefined {
  const buildId = path.join(root, '.next', 'BUILD_ID');
  if (!fs.existsSync(buildId)) return 'no production build yet';
  const built = fs.statSync(buildId).mtimeMs;
  const changed = SOURCES.find((s) => newestMtime(path.join(root, s)) > built);
  return changed ? `${changed} changed since the last build` : undefined;
}
