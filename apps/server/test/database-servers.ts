// Vitest global set-up of the server's tests: a throw-away PostgreSQL cluster and a Redis server,
// both from Debian's packages (infra/setup.sh installs them), on free loopback ports with their
// data in a temporary directory; stopped and the directory removed after the run, pass or fail.
// PostgreSQL refuses to run as root: as root (the kernel tests need it) the cluster runs as the
// `postgres` user the Debian package made. Tests reach them with inject('postgresUrl') and
// inject('redisUrl') (test/store-backends.ts makes one database per test).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The throw-away cluster's superuser connection (database `postgres`). */
    postgresUrl: string;
    /** The throw-away Redis server. */
    redisUrl: string;
  }
}

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released for the server to take). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Debian keeps PostgreSQL's server programs off the PATH, under /usr/lib/postgresql/VERSION/bin: the newest. */
function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions[0]) throw new Error('PostgreSQL is not installed (apt-get install postgresql; infra/setup.sh does)');
  return join(root, versions[0], 'bin');
}

/** Runs a PostgreSQL program as `postgres` when we are root (it refuses root), as ourselves otherwise. */
function asPostgres(program: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', program, ...args]] : [program, args];
}

async function startPostgres(dir: string): Promise<{ url: string; stop: () => void }> {
  const bin = postgresBin();
  const data = join(dir, 'data');
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const run = (program: string, args: string[]) => {
    const [cmd, argv] = asPostgres(join(bin, program), args);
    try {
      execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
    } catch (e) {
      const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
      throw new Error(`${program} failed: ${stderr || (e as Error).message}`, { cause: e });
    }
  };
  run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const port = await freePort();
  // Loopback only, its socket in the temporary directory, and no durability (a test cluster).
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  run('pg_ctl', ['-D', data, '-l', join(dir, 'postgres.log'), '-o', options, '-w', '-t', '60', 'start']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: () => run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']),
  };
}

async function startRedis(dir: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 15_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(
        new Error(`redis-server could not start (apt-get install redis-server; infra/setup.sh does): ${e.message}`),
      );
    });
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), 'patchbay-db-servers-'));
  chmodSync(dir, 0o711); // the `postgres` user goes through it to its own folder
  const stops: (() => void | Promise<void>)[] = [];
  const teardown = async () => {
    for (const stop of stops.reverse()) await Promise.resolve(stop()).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const pgDir = join(dir, 'postgres');
    const redisDir = join(dir, 'redis');
    mkdirSync(pgDir, { mode: 0o700 });
    mkdirSync(redisDir, { mode: 0o700 });
    const postgres = await startPostgres(pgDir);
    stops.push(postgres.stop);
    const redis = await startRedis(redisDir);
    stops.push(redis.stop);
    project.provide('postgresUrl', postgres.url);
    project.provide('redisUrl', redis.url);
  } catch (e) {
    await teardown();
    throw e;
  }
  return teardown;
}
