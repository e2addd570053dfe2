import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { migrateDatabase } from '../../lib/db/migrate';
import {
  type EmbeddedPostgres,
  embeddedBinDir,
  freePort,
  type RunAs,
  runAsUser,
  startEmbeddedPostgres,
} from '../../lib/embedded/postgres';
import { withDatabase } from '../global-setup';

/**
 * A PostgreSQL primary with a streaming hot standby, for the read-replica tests, run from the
 * same binaries as the test server: the npm package's (DATABASE_URL unset) or the system's
 * (DATABASE_URL set: /usr/lib/postgresql/<its major version>/bin).
 *
 * The primary is a cluster of its own, not the shared test server: the system server's pg_hba
 * has no `replication` entry (changing it would reconfigure a server others use), and a base
 * backup of the shared embedded server would copy every database the parallel test files made.
 * Both initdb defaults already allow streaming (wal_level replica, max_wal_senders 10, a
 * `host replication all 127.0.0.1/32` line); the standby is attached by a physical replication
 * slot, so the primary keeps the WAL it still needs.
 *
 * The base backup: `pg_basebackup -R -X stream` where the binaries have it (the system's); the
 * npm package ships only initdb, pg_ctl and postgres, so there it is the low-level API —
 * pg_backup_start(), a copy of the data folder, pg_backup_stop()'s backup_label — and the
 * `standby.signal` and primary_conninfo that -R would have written.
 */
export interface ReplicatedPair {
  kind: 'embedded' | 'system';
  /** The migrated database on the primary. */
  primaryUrl: string;
  /** The same database on the standby (read-only). */
  standbyUrl: string;
  /** Stops the standby (fast shutdown). */
  stopStandby(): Promise<void>;
  /** Starts it again on the same port; it resumes streaming where it stopped. */
  startStandby(): Promise<void>;
  /** Waits until the standby has replayed everything the primary has written so far. */
  caughtUp(timeoutMs?: number): Promise<void>;
  /** The postmasters' process ids (the benchmark pins each server to a core of its own). */
  pids(): { primary: number; standby: number };
  stop(): Promise<void>;
}

const SLOT = 'herald_test_standby';
const DATABASE = 'herald_replica';

async function binDirFor(
  serverUrl: string | undefined,
): Promise<{ kind: ReplicatedPair['kind']; dir: string }> {
  if (!serverUrl) return { kind: 'embedded', dir: await embeddedBinDir() };
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
    const major = Math.floor(Number(rows[0]?.v) / 10_000);
    const dir = `/usr/lib/postgresql/${major}/bin`;
    if (!fs.existsSync(path.join(dir, 'postgres')))
      throw new Error(`the test server is PostgreSQL ${major}, but ${dir} holds no server binaries`);
    return { kind: 'system', dir };
  } finally {
    await client.end();
  }
}

function runAs(binary: string, args: string[], user: RunAs): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, {
      ...user,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${path.basename(binary)} failed (${code}): ${output.trim()}`)),
    );
  });
}

function chownTree(dir: string, user: RunAs) {
  if (user.uid === undefined) return;
  execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, dir]);
}

/** The low-level online backup: what pg_basebackup does, for binaries that lack it. */
async function lowLevelBackup(primaryUrl: string, fromData: string, toData: string, user: RunAs) {
  const session = new pg.Client({ connectionString: primaryUrl });
  await session.connect();
  try {
    // Non-exclusive backup: this session must stay open until pg_backup_stop.
    await session.query(`SELECT pg_backup_start('herald-test-standby', true)`);
    // Everything but what a base backup leaves out (docs "Making a Base Backup Using the Low
    // Level API"): the WAL (streamed from the slot instead), the pid file, slots, temp stats.
    const skip = new Set(['postmaster.pid', 'postmaster.opts', 'pg_replslot', 'pg_wal', 'pg_stat_tmp']);
    fs.cpSync(fromData, toData, {
      recursive: true,
      filter: (src) => !skip.has(path.relative(fromData, src).split(path.sep)[0] ?? '') || src === fromData,
    });
    for (const d of ['pg_replslot', 'pg_wal/archive_status', 'pg_stat_tmp'])
      fs.mkdirSync(path.join(toData, d), { recursive: true });
    const { rows } = await session.query<{ labelfile: string }>(
      'SELECT labelfile FROM pg_backup_stop(false)',
    );
    fs.writeFileSync(path.join(toData, 'backup_label'), rows[0]?.labelfile ?? '');
  } finally {
    await session.end();
  }
  chownTree(toData, user);
  fs.chmodSync(toData, 0o700);
}

export async function startReplicatedPair(): Promise<ReplicatedPair> {
  const { kind, dir: binDir } = await binDirFor(process.env.DATABASE_URL);
  const user = runAsUser();
  const home = path.resolve(`.herald/test-replica-${process.pid}-${Date.now().toString(36)}`);
  const primaryHome = path.join(home, 'primary');
  const standbyHome = path.join(home, 'standby');
  fs.mkdirSync(home, { recursive: true, mode: 0o755 });
  fs.chmodSync(home, 0o755);

  const primary = await startEmbeddedPostgres({ dir: primaryHome, binDir });
  let standby: EmbeddedPostgres | undefined;
  try {
    const admin = new pg.Client({ connectionString: primary.url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${DATABASE}`);
    await admin.query(`SELECT pg_create_physical_replication_slot('${SLOT}', true)`);
    await admin.end();
    const primaryUrl = withDatabase(primary.url, DATABASE);
    await migrateDatabase(primaryUrl);

    const standbyData = path.join(standbyHome, 'pgdata');
    fs.mkdirSync(standbyHome, { recursive: true, mode: 0o755 });
    fs.chmodSync(standbyHome, 0o755);
    fs.copyFileSync(path.join(primaryHome, 'postgres-password'), path.join(standbyHome, 'postgres-password'));
    const password = fs.readFileSync(path.join(primaryHome, 'postgres-password'), 'utf8').trim();
    const conninfo = `host=127.0.0.1 port=${primary.port} user=postgres password=${password} application_name=herald-test-standby`;
    const basebackup = path.join(binDir, 'pg_basebackup');
    if (fs.existsSync(basebackup)) {
      fs.mkdirSync(standbyData, { mode: 0o700 });
      chownTree(standbyData, user);
      await runAs(
        basebackup,
        ['-D', standbyData, '-R', '-X', 'stream', '-S', SLOT, '-c', 'fast', '-d', conninfo],
        user,
      );
    } else {
      await lowLevelBackup(primary.url, path.join(primaryHome, 'pgdata'), standbyData, user);
      fs.writeFileSync(path.join(standbyData, 'standby.signal'), '');
      fs.appendFileSync(
        path.join(standbyData, 'postgresql.auto.conf'),
        `primary_conninfo = '${conninfo}'\nprimary_slot_name = '${SLOT}'\n`,
      );
      chownTree(standbyData, user);
    }

    const port = await freePort();
    standby = await startEmbeddedPostgres({ dir: standbyHome, binDir, port });
    const standbyUrl = withDatabase(standby.url, DATABASE);
    const current = { standby };

    const pair: ReplicatedPair = {
      kind,
      primaryUrl,
      standbyUrl,
      stopStandby: () => current.standby.stop(),
      pids: () => ({ primary: primary.pid, standby: current.standby.pid }),
      async startStandby() {
        current.standby = await startEmbeddedPostgres({ dir: standbyHome, binDir, port });
      },
      // Generous: a standby just started on a machine running the whole suite in parallel took over 20 s (CI, system PostgreSQL).
      async caughtUp(timeoutMs = 45_000) {
        const p = new pg.Client({ connectionString: primaryUrl });
        const s = new pg.Client({ connectionString: standbyUrl });
        await p.connect();
        await s.connect();
        try {
          const { rows } = await p.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
          const target = rows[0]?.lsn;
          const deadline = Date.now() + timeoutMs;
          for (;;) {
            const r = await s.query<{ ok: boolean }>(`SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok`, [
              target,
            ]);
            if (r.rows[0]?.ok) return;
            if (Date.now() > deadline)
              throw new Error(`the standby did not replay up to ${target} in ${timeoutMs} ms`);
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        } finally {
          await p.end();
          await s.end();
        }
      },
      async stop() {
        await current.standby.stop();
        await primary.stop();
        fs.rmSync(home, { recursive: true, force: true });
      },
    };
    await pair.caughtUp();
    return pair;
  } catch (error) {
    await standby?.stop();
    await primary.stop();
    fs.rmSync(home, { recursive: true, force: true });
    throw error;
  }
}
