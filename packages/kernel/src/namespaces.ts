// Named network namespaces (`/run/netns/NAME`): discovery, the processes inside them, deletion.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { ownedNamespaceDel, userNamespacePath } from './owned-namespaces.js';
import { killProcessesIn } from './pids.js';
import { nodeSandboxGroup, removeSandboxGroups } from './sandbox-limits.js';
import { assertNamespaceName, parseBatchErrors, run } from './process.js';

export const NETNS_DIR = '/run/netns';

/** Names under /run/netns starting with `prefix` (all when omitted), sorted. Missing dir: []. */
export function listNamespaces(prefix = ''): Promise<string[]> {
  try {
    return Promise.resolve(
      netnsEntries()
        .filter((n) => n.startsWith(prefix))
        .sort(),
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Promise.resolve([]);
    throw err;
  }
}

/** The last listing of /run/netns, with the folder's modification time then. */
let listed: { mtimeNs: bigint; at: bigint; entries: string[] } | undefined;
/** A folder's modification time is the kernel's coarse clock: it moves at least this often. */
const COARSE_TICK_NS = 20_000_000n;

/**
 * The names in /run/netns. Read synchronously (~90 µs for 200 names on ext4, where the thread
 * pool's round trip cost an apply 0.3 ms, and 2 ms at times), and not read again while the folder's
 * modification time says nothing was added or removed since (every apply lists it; one `stat`).
 * The time is the kernel's coarse clock, so a listing is reused only if it was made more than a
 * tick after that time: a later change then gives the folder a later time.
 */
function netnsEntries(): string[] {
  const st = statSync(NETNS_DIR, { bigint: true });
  const now = BigInt(Date.now()) * 1_000_000n; // the real-time clock (the folder's times are too)
  if (listed && listed.mtimeNs === st.mtimeNs && listed.at - st.mtimeNs > COARSE_TICK_NS && st.mtimeNs <= now)
    return listed.entries;
  const entries = readdirSync(NETNS_DIR);
  listed = { mtimeNs: st.mtimeNs, at: now, entries };
  return entries;
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
