// The bench's own namespace housekeeping: listing ours, removing leftovers (exact names only, never
// `ip -all`), and waiting for the kernel's asynchronous cleanup after a destroy.

import { readdirSync } from 'node:fs';
import { now, sh, sleep } from './util.js';

/** Every namespace in /run/netns whose name starts with `pbb`, sorted. */
export function ourNamespaces(): string[] {
  const r = sh('ip', ['netns', 'list']);
  if (r.status !== 0) throw new Error(`ip netns list failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => /^pbb[a-z0-9._-]*$/.test(n))
    .sort();
}

/** Deletes `names` (exact names) with one `ip -force -batch -`. */
export function deleteByName(names: readonly string[]): void {
  if (names.length === 0) return;
  const r = sh('ip', ['-force', '-batch', '-'], { input: names.map((n) => `netns del ${n}\n`).join('') });
  if (r.status !== 0) console.error(`[bench] cleanup: ${r.stderr.trim()}`);
}

export function cleanupLeftovers(why: string): void {
  const names = ourNamespaces();
  if (names.length === 0) return;
  console.error(`[bench] ${why}: removing ${names.length} leftover pbb* namespace(s)`);
  deleteByName(names);
}

/** Veth devices still present in the namespace whose file descriptor `fd` we hold open. */
function vethCountViaFd(fd: number): number {
  const r = sh('nsenter', ['--net=/proc/self/fd/3', '--', 'ip', '-o', 'link', 'show', 'type', 'veth'], {
    stdio: ['ignore', 'pipe', 'pipe', fd],
  });
  if (r.status !== 0) throw new Error(`nsenter via fd failed: ${r.stderr.trim()}`);
  return r.stdout.split('\n').filter((l) => l.trim()).length;
}

/**
 * Polls until none of `names` is in /run/netns and the (held-open) host namespace has no veth left,
 * i.e. the kernel's asynchronous cleanup of every leaf namespace has run (a leaf's veth end is
 * destroyed with its namespace, and its peer in the host with it).
 */
export async function waitDownComplete(names: readonly string[], hostFd: number, timeoutMs = 120_000): Promise<void> {
  const wanted = new Set(names);
  const deadline = now() + timeoutMs;
  for (;;) {
    const present = readdirSync('/run/netns').some((n) => wanted.has(n));
    if (!present && vethCountViaFd(hostFd) === 0) return;
    if (now() > deadline) throw new Error('namespaces still not gone after 120 s');
    await sleep(1);
  }
}
