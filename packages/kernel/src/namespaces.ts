// Named network namespaces (`/run/netns/NAME`): discovery, the processes inside them, deletion.

import { existsSync, readdirSync } from 'node:fs';
import { ownedNamespaceDel, userNamespacePath } from './owned-namespaces.js';
import { killProcessesIn } from './pids.js';
import { nodeSandboxGroup, removeSandboxGroups } from './sandbox-limits.js';
import { assertNamespaceName, parseBatchErrors, run } from './process.js';

export const NETNS_DIR = '/run/netns';

/** Names under /run/netns starting with `prefix` (all when omitted), sorted. Missing dir: []. */
export function listNamespaces(prefix = ''): Promise<string[]> {
  // Synchronous: one getdents of a small directory (~90 µs for 200 names), where the thread pool's
  // round trip cost every apply 0.3 ms, and 2 ms at times.
  try {
    return Promise.resolve(
      readdirSync(NETNS_DIR)
        .filter((n) => n.startsWith(prefix))
        .sort(),
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Promise.resolve([]);
    throw err;
  }
}

export interface DeleteResult {
  name: string;
  ok: boolean;
  /** Set when the namespace was already gone (counted as success). */
  alreadyGone?: boolean;
  error?: string;
}

function isGoneMessage(msg: string): boolean {
  return /No such file or directory|does not exist/i.test(msg);
}

/**
 * Deletes the named namespaces: first kills every process inside each, then one `ip -force -batch -`
 * of `netns del` lines (one missing namespace does not stop the rest). "Already gone" is success.
 */
export async function deleteNamespaces(names: readonly string[]): Promise<DeleteResult[]> {
  const all = [...new Set(names)];
  all.forEach(assertNamespaceName);
  if (all.length === 0) return [];
  // Namespaces owned by their own user namespace: nsowner.py also frees the pin and the uid.
  const pinned = all.filter((n) => existsSync(userNamespacePath(n)));
  const owned: DeleteResult[] = (await ownedNamespaceDel(pinned)).map((r) =>
    r.ok ? { name: r.name, ok: true } : { name: r.name, ok: false, error: r.error ?? 'nsowner failed' },
  );
  const unique = all.filter((n) => !pinned.includes(n));
  if (unique.length === 0) return owned;
  await killProcessesIn(unique);
  // A sandbox started here without a lab's budget (a step in a host's namespace) made a group of the
  // namespace's own: it goes with the namespace (a missing group costs one existsSync).
  await removeSandboxGroups(unique.map(nodeSandboxGroup));
  const input = unique.map((n) => `netns del ${n}\n`).join('');
  const r = await run('ip', ['-force', '-batch', '-'], { input });
  const { errors, trailing } = parseBatchErrors(r.stderr);
  return [
    ...owned,
    ...unique.map((name, i): DeleteResult => {
      const err = errors.get(i + 1);
      if (err === undefined) {
        if (r.code !== 0 && errors.size === 0)
          return { name, ok: false, error: trailing || `ip exited with ${r.code}` };
        return { name, ok: true };
      }
      if (isGoneMessage(err)) return { name, ok: true, alreadyGone: true };
      return { name, ok: false, error: err };
    }),
  ];
}
