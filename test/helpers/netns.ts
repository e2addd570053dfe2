import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';

/**
 * Other "hosts" on this machine for tests: each is a Linux network namespace joined to the root
 * namespace by a veth pair on a /30 of its own, so a process started in it (`ip netns exec`)
 * reaches the root namespace only over that link. Cutting the link (`ip link set … down` on
 * the root side) makes packets vanish in both directions, like a pulled cable or a dead switch
 * port: no RST, no error, nothing for either end to notice but silence. Needs root and
 * iproute2, as CI has; `netnsSupport()` says why not when they are missing.
 *
 * Names carry the test process's pid (`herald-<pid>-<n>`, veths `hh<pid>x<n>` / `hn<pid>x<n>`,
 * at most 15 characters as Linux requires), so a run can remove what a crashed earlier run left
 * behind (`removeStaleHosts`) without touching a concurrent run's hosts.
 */

const NS_PREFIX = 'herald-';
const VETH = /^h[hn](\d+)x\d+$/;

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Like ip(), for cleanup: a failure (already gone) is ignored. */
function ipQuietly(...args: string[]) {
  try {
    ip(...args);
  } catch {}
}

export type NetnsSupport = { available: true } | { available: false; reason: string };

/** Whether this machine can make hosts: root, `ip` present, and `ip netns add` and `exec` work here. */
export function netnsSupport(): NetnsSupport {
  if (process.platform !== 'linux') return { available: false, reason: `not Linux (${process.platform})` };
  if (process.getuid?.() !== 0) return { available: false, reason: 'not root: ip netns needs CAP_SYS_ADMIN' };
  try {
    ip('-V');
  } catch {
    return { available: false, reason: 'the ip command (iproute2) is not installed' };
  }
  const probe = `${NS_PREFIX}${process.pid}-probe`;
  let step = 'ip netns add';
  try {
    ip('netns', 'add', probe);
    // exec needs more than add: it remounts /sys for the namespace, which a sandbox may forbid.
    step = 'ip netns exec';
    ip('netns', 'exec', probe, process.execPath, '-e', '');
  } catch (error) {
    const detail = String((error as { stderr?: string }).stderr ?? error).trim();
    return { available: false, reason: `${step} failed: ${detail}` };
  } finally {
    ipQuietly('netns', 'delete', probe);
  }
  return { available: true };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove namespaces and veths left by test runs whose process is gone (a crash, a kill -9). */
export function removeStaleHosts() {
  for (const line of ip('netns', 'list').split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const owner = name.startsWith(NS_PREFIX)
      ? Number(name.slice(NS_PREFIX.length).split('-')[0])
      : Number.NaN;
    if (Number.isInteger(owner) && !alive(owner)) ipQuietly('netns', 'delete', name);
  }
  // A veth whose peer never reached its namespace (a crash in between) stays in the root one.
  for (const line of ip('-o', 'link', 'show').split('\n')) {
    const name = line.split(':')[1]?.trim().split('@')[0] ?? '';
    const match = VETH.exec(name);
    if (match && !alive(Number(match[1]))) ipQuietly('link', 'delete', name);
  }
}

/** A /30 in 10.213.0.0/16 that no interface here uses yet: .1 is the root side, .2 the host. */
function freeSubnet(): { rootAddress: string; hostAddress: string } {
  const used = ip('-4', '-o', 'addr', 'show');
  for (;;) {
    const block = randomInt(0, 16_384) * 4;
    const prefix = `10.213.${block >> 8}.`;
    const rootAddress = `${prefix}${(block & 255) + 1}`;
    const hostAddress = `${prefix}${(block & 255) + 2}`;
    if (!used.includes(` ${rootAddress}/`) && !used.includes(` ${hostAddress}/`))
      return { rootAddress, hostAddress };
  }
}

export interface NetnsHost {
  /** The namespace: run a command in it with `ip netns exec <name> …` (see `launcher`). */
  name: string;
  /** The root namespace's end of the link: listen here to be reachable from the host. */
  rootAddress: string;
  /** The host's own address. */
  hostAddress: string;
  /** Prefix for spawn: the command runs inside the host. */
  launcher: string[];
  /** Cut the link: packets vanish both ways; open TCP connections stay open, silent. */
  cut(): void;
  /** Heal the link: the same addresses and routes come back, and with them the connections. */
  heal(): void;
  /** Delete the namespace and its link (kill the processes in it first). */
  remove(): void;
}

function macOf(namespace: string[], device: string): string {
  const [link] = JSON.parse(ip(...namespace, '-j', 'link', 'show', 'dev', device)) as { address: string }[];
  return link!.address;
}

let made = 0;

/** A new host joined to the root namespace by its own veth link. */
export function createHost(): NetnsHost {
  const n = made++;
  const name = `${NS_PREFIX}${process.pid}-${n}`;
  const rootSide = `hh${process.pid}x${n}`;
  const hostSide = `hn${process.pid}x${n}`;
  const { rootAddress, hostAddress } = freeSubnet();
  const remove = () => {
    ipQuietly('netns', 'delete', name);
    ipQuietly('link', 'delete', rootSide); // also gone with the namespace; this covers a half-made host
  };
  try {
    ip('netns', 'add', name);
    ip('link', 'add', rootSide, 'type', 'veth', 'peer', 'name', hostSide);
    ip('link', 'set', hostSide, 'netns', name);
    ip('addr', 'add', `${rootAddress}/30`, 'dev', rootSide);
    ip('link', 'set', rootSide, 'up');
    ip('-n', name, 'addr', 'add', `${hostAddress}/30`, 'dev', hostSide);
    ip('-n', name, 'link', 'set', hostSide, 'up');
    ip('-n', name, 'link', 'set', 'lo', 'up');
  } catch (error) {
    remove();
    throw error;
  }
  // Each side knows the other's MAC for good: without ARP, a cut is pure silence. With ARP, the
  // host's kernel would give up on its neighbour within seconds and fail new connections with
  // EHOSTUNREACH, a hint a worker beyond a router would not get.
  const rootMac = macOf([], rootSide);
  const hostMac = macOf(['-n', name], hostSide);
  const pin = () => {
    ip('neigh', 'replace', hostAddress, 'lladdr', hostMac, 'dev', rootSide, 'nud', 'permanent');
    ip('-n', name, 'neigh', 'replace', rootAddress, 'lladdr', rootMac, 'dev', hostSide, 'nud', 'permanent');
  };
  pin();
  return {
    name,
    rootAddress,
    hostAddress,
    launcher: ['ip', 'netns', 'exec', name],
    cut: () => ip('link', 'set', rootSide, 'down'),
    heal: () => {
      ip('link', 'set', rootSide, 'up');
      pin(); // taking a link down flushes even permanent neighbour entries on it
    },
    remove,
  };
}
