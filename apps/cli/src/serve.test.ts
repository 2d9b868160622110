// `patchbay serve` refuses what would make it unsafe before it listens (a weak instructor token,
// half a TLS pair), warns when it serves plain HTTP beyond loopback, and makes the data directory
// and the database private — as does any other command that creates the data directory first.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { deleteNamespaces, listNamespaces } from '@patchbay/kernel';
import { CLI } from './test-helpers.js';

// Provided by the server's global set-up (apps/server/test/database-servers.ts).
declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
    redisUrl: string;
  }
}

const PREFIX = 'pbc20-';
const STRONG = 'serve-test-token-aB3dE6gH9jK2mN5pQ8sT1vW4';
const temps: string[] = [];
afterEach(async () => {
  await deleteNamespaces(await listNamespaces(PREFIX)); // the capability probe's scratch, if any
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const tmp = mkdtempSync(join(tmpdir(), 'patchbay-serve-test-'));
  temps.push(tmp);
  return join(tmp, 'data');
}

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** Runs `patchbay ARGS…`; with `until`, stops it (SIGTERM) once its stdout matches. */
function run(args: string[], env: Record<string, string>, until?: RegExp): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, PATCHBAY_PREFIX: PREFIX, PATCHBAY_LOG_FORMAT: 'json', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (until?.test(out)) child.kill('SIGTERM');
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

describe('patchbay serve', () => {
  it('refuses a weak instructor token at start, with the reason, before listening', async () => {
    const dir = dataDir();
    const r = await run(['serve', '--port', '0'], {
      PATCHBAY_DATA: dir,
      PATCHBAY_ADMIN_TOKEN: 'classroom-2024-password',
    });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^patchbay serve: PATCHBAY_ADMIN_TOKEN is too weak: about 120 bits, at least 128 are needed/m,
    );
    expect(r.out).not.toMatch(/Patchbay: http/);
  });

  it('refuses half a TLS pair (exit 2), and unreadable TLS files (exit 1)', async () => {
    const dir = dataDir();
    const half = await run(['serve', '--port', '0', '--tls-cert', 'cert.pem'], {
      PATCHBAY_DATA: dir,
      PATCHBAY_ADMIN_TOKEN: STRONG,
    });
    expect(half.code).toBe(2);
    expect(half.err).toMatch(/--tls-cert and --tls-key go together/);
    const missing = await run(
      ['serve', '--port', '0', '--tls-cert', '/nonexistent/c.pem', '--tls-key', '/nonexistent/k.pem'],
      {
        PATCHBAY_DATA: dir,
        PATCHBAY_ADMIN_TOKEN: STRONG,
      },
    );
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/cannot read the TLS certificate \/nonexistent\/c\.pem/);
  });

  it('warns when it serves plain HTTP beyond loopback; creates the data directory 0700 and the database 0600', async () => {
    const dir = dataDir();
    const r = await run(
      ['serve', '--port', '0', '--host', '0.0.0.0'],
      { PATCHBAY_DATA: dir, PATCHBAY_ADMIN_TOKEN: STRONG },
      /Patchbay: http:\/\//,
    );
    expect(r.out).toMatch(
      /"level":40[^\n]*serving 0\.0\.0\.0 over plain HTTP: tokens and terminal sessions cross the network unencrypted/,
    );
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'patchbay.db')).mode & 0o777).toBe(0o600);
    const quiet = await run(
      ['serve', '--port', '0'],
      { PATCHBAY_DATA: dir, PATCHBAY_ADMIN_TOKEN: STRONG },
      /Patchbay: http:\/\//,
    );
    expect(quiet.out).not.toMatch(/plain HTTP/);
    // The address carries the token on stdout for the instructor; no log line does.
    const logLines = quiet.out.split('\n').filter((l) => l.startsWith('{'));
    expect(logLines.join('\n')).not.toContain(STRONG);
  });

  it('keeps its state in PostgreSQL with PATCHBAY_DATABASE (no patchbay.db) and uses PATCHBAY_REDIS; refuses values that are no such URL, without repeating them', async () => {
    const dir = dataDir();
    const badDatabase = await run(['serve', '--port', '0'], {
      PATCHBAY_DATA: dir,
      PATCHBAY_ADMIN_TOKEN: STRONG,
      PATCHBAY_DATABASE: 'mysql://patchbay:hunter2-secret@db.example/patchbay',
    });
    expect(badDatabase.code).toBe(1);
    expect(badDatabase.err).toMatch(/^patchbay serve: PATCHBAY_DATABASE must be a PostgreSQL URL/m);
    expect(badDatabase.err).not.toContain('hunter2-secret');
    const badRedis = await run(['serve', '--port', '0'], {
      PATCHBAY_DATA: dir,
      PATCHBAY_ADMIN_TOKEN: STRONG,
      PATCHBAY_REDIS: 'localhost:6379',
    });
    expect(badRedis.code).toBe(1);
    expect(badRedis.err).toMatch(/^patchbay serve: PATCHBAY_REDIS must be a Redis URL/m);
    expect(existsSync(dir)).toBe(false); // refused before anything was made
    const shared = await run(
      ['serve', '--port', '0'],
      {
        PATCHBAY_DATA: dir,
        PATCHBAY_ADMIN_TOKEN: STRONG,
        PATCHBAY_DATABASE: inject('postgresUrl'),
        PATCHBAY_REDIS: inject('redisUrl'),
      },
      /Patchbay: http:\/\//,
    );
    expect(shared.out).toMatch(/Patchbay: http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    expect(existsSync(join(dir, 'patchbay.db'))).toBe(false);
  });

  it('a CLI command that creates the data directory first makes it 0700 too', async () => {
    const dir = dataDir();
    const r = await run(['capabilities', '--json'], { PATCHBAY_DATA: dir });
    expect(r.code).toBe(0);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });
});
