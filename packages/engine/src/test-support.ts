// Shared by the engine's and the CLI's real-kernel tests: throwaway engines with their own prefix
// and data folder, and a snapshot of the machine's own namespace to prove nothing leaked there.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execInNamespace, run } from '@patchbay/kernel';
import { parseLabText, type Lab } from '@patchbay/topology';
import { Engine } from './engine.js';
import { removePrefixLeftovers } from './prefix-leftovers.js';

export const EXAMPLES_DIR = join(import.meta.dirname, '../../../examples');

export function exampleText(file: string): string {
  return readFileSync(join(EXAMPLES_DIR, file), 'utf8');
}

export function exampleLab(file: string): Lab {
  const { lab, problems } = parseLabText(exampleText(file));
  if (!lab || problems.length) throw new Error(`${file}: ${JSON.stringify(problems)}`);
  return lab;
}

export interface TestEngine {
  engine: Engine;
  prefix: string;
  dataDir: string;
  /** Removes every namespace of the prefix and the data folder; safe to call twice. */
  cleanup(): Promise<void>;
}

/** `watch`: a long-lived engine, as the server's (namespaces watched, changes read from memory). */
export function testEngine(prefix: string, opts: { watch?: boolean } = {}): TestEngine {
  const dataDir = mkdtempSync(join(tmpdir(), 'patchbay-test-'));
  const engine = new Engine({ prefix, dataDir, ...(opts.watch ? { watch: true } : {}) });
  return {
    engine,
    prefix,
    dataDir,
    async cleanup() {
      await removePrefixLeftovers(prefix);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** `ip -br link` and `ip -br addr` of the machine's own namespace, plus its routes. */
export async function rootSnapshot(): Promise<string> {
  const parts = await Promise.all([
    run('ip', ['-br', 'link']),
    run('ip', ['-br', 'addr']),
    run('ip', ['route', 'show', 'table', 'all']),
  ]);
  return parts.map((p) => p.stdout).join('\n');
}

/** Pings until `count` replies arrived (true) or `deadlineS` seconds passed (false). */
export async function ping(ns: string, ip: string, count = 1, deadlineS = 1): Promise<boolean> {
  const r = await execInNamespace(ns, ['ping', '-n', '-c', String(count), '-w', String(deadlineS), '-i', '0.2', ip], {
    stdio: 'pipe',
  });
  return r.code === 0;
}

/** Inode of a namespace: the same inode means the same namespace (it was not re-created). */
export async function namespaceInode(ns: string): Promise<number> {
  return (await stat(`/run/netns/${ns}`)).ino;
}
