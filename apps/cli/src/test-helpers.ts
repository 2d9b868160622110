// Helpers of the CLI's real-kernel tests: run the built `patchbay` binary with a test prefix and a
// throwaway data folder, snapshot the machine's own namespace, and clean up every namespace of the
// prefix. (Copied in part from packages/engine/src/test-support.ts, which the engine does not export.)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach } from 'vitest';
import { removePrefixLeftovers } from '@patchbay/engine';
import { deleteNamespaces, listNamespaces } from '@patchbay/kernel';

export const CLI = join(import.meta.dirname, '../dist/main.js');
export const EXAMPLES_DIR = join(import.meta.dirname, '../../../examples');

export function examplePath(file: string): string {
  return join(EXAMPLES_DIR, file);
}

export function exampleText(file: string): string {
  return readFileSync(examplePath(file), 'utf8');
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliEnv {
  prefix: string;
  dataDir: string;
  /** Scratch folder for lab files written by the test (inside dataDir's parent temp folder). */
  tmp: string;
  /** Runs `patchbay ARGS…` (argument array, no shell); `input` is written to its stdin. */
  run: (args: string[], input?: string) => Promise<CliResult>;
  /** Writes `text` to a file in the scratch folder and returns its path. */
  write: (name: string, text: string) => string;
  /** `patchbay exec LAB NODE -- ping -c 1 -W 1 IP`, retried up to `attempts` times (links settle). */
  ping: (lab: string, node: string, ip: string, attempts?: number) => Promise<CliResult>;
  /** Namespaces of the prefix present now. */
  namespaces: () => Promise<string[]>;
  /** Removes every namespace of the prefix and the temp folders; safe to call twice. */
  cleanup: () => Promise<void>;
}

export function cliEnv(prefix: string): CliEnv {
  // pbc…: this package's tests; pbws…: the `why` tests' own; pbrp…: the `run:` tests' own (unique among helpers running at once)
  if (!/^pb(c|ws|rp)/.test(prefix)) throw new Error(`test prefix must start with pbc, pbws or pbrp: ${prefix}`);
  const tmp = mkdtempSync(join(tmpdir(), 'patchbay-cli-test-'));
  const dataDir = join(tmp, 'data');
  const env = { ...process.env, PATCHBAY_PREFIX: prefix, PATCHBAY_DATA: dataDir };
  const run = (args: string[], input?: string): Promise<CliResult> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.on('error', () => {}); // the CLI may exit before reading stdin
      child.stdin.end(input ?? '');
    });
  return {
    prefix,
    dataDir,
    tmp,
    run,
    write(name, text) {
      const p = join(tmp, name);
      writeFileSync(p, text);
      return p;
    },
    async ping(lab, node, ip, attempts = 3) {
      let r: CliResult = { code: null, stdout: '', stderr: '' };
      for (let i = 0; i < attempts; i++) {
        r = await run(['exec', lab, node, '--', 'ping', '-n', '-c', '1', '-W', '1', ip]);
        if (r.code === 0) break;
      }
      return r;
    },
    namespaces: () => listNamespaces(prefix),
    async cleanup() {
      await removePrefixLeftovers(prefix); // namespaces, resolver files (lab dns:), `patchbay shell`'s cgroups
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** `ip -br link`, `ip -br addr` and every routing table of the machine's own namespace. */
export function rootSnapshot(): string {
  return [
    ['-br', 'link'],
    ['-br', 'addr'],
    ['route', 'show', 'table', 'all'],
  ]
    .map((args) => {
      const r = spawnSync('ip', args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    })
    .join('\n');
}

/** Names from `ip netns list` that start with `prefix` (the kernel's view, not the CLI's). */
export function ipNetnsList(prefix: string): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(prefix));
}

/**
 * A CliEnv per test, registered with vitest's hooks: fresh before each test, cleaned after it,
 * and every namespace of the prefix removed after the file even if a test left one.
 */
export function useCliEnv(prefix: string): CliEnv {
  let current: CliEnv | undefined;
  beforeEach(() => {
    current = cliEnv(prefix);
  });
  afterEach(async () => {
    await current?.cleanup();
  });
  afterAll(async () => {
    await deleteNamespaces(await listNamespaces(prefix));
  });
  return new Proxy({} as CliEnv, {
    get: (_, key) => {
      if (!current) throw new Error('useCliEnv: used outside a test');
      return current[key as keyof CliEnv];
    },
  });
}
