// Network namespaces owned by their own user namespace (helpers/nsowner.py), for the nodes a
// student may get a shell in (sandbox.ts). Background and measurements: shared research,
// kernel-and-sandbox-facts §1.
//
// WHY a userns-owned netns: CAP_NET_ADMIN in the init user namespace reaches other namespaces through
// rtnetlink (IFLA_TARGET_NETNSID needs no file or pid, only the netnsid every veth neighbour gets). With
// the node's netns owned by a dedicated userns, the student's NET_ADMIN/NET_RAW count only there.
// Namespaces for student nodes are created with `ownedNamespaceAdd` instead of `ip netns add`, and
// removed with `ownedNamespaceDel` (plain `ip netns del` would leak the userns pin and the host uid).
// Bridges, VXLAN and other tunnel devices must stay in backend-owned namespaces (research §1.6).

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { deleteOwnedNamespacesViaNetlink } from './nlexec.js';
import { killProcessesIn } from './pids.js';
import { assertNamespaceName, run } from './process.js';
import { nodeSandboxGroup, removeSandboxGroups } from './sandbox-limits.js';

export const NSOWNER_SCRIPT = fileURLToPath(new URL('../helpers/nsowner.py', import.meta.url));
export const USERNS_DIR = '/run/patchbay/userns';

/** The pinned user namespace that owns the named network namespace. */
export function userNamespacePath(ns: string): string {
  assertNamespaceName(ns);
  return `${USERNS_DIR}/${ns}`;
}

/** Whether the named network namespace is owned by its own user namespace (its userns pin exists). */
export function isOwnedNamespace(ns: string): boolean {
  return existsSync(userNamespacePath(ns));
}

export interface OwnedNamespaceResult {
  name: string;
  ok: boolean;
  /** Host uid/gid that inside uid/gid 1000 maps to (add only). */
  uid?: number;
  error?: string;
}

const NSOWNER_BATCH = 200;

async function nsowner(cmd: 'add' | 'del', names: readonly string[]): Promise<OwnedNamespaceResult[]> {
  const unique = [...new Set(names)];
  unique.forEach(assertNamespaceName);
  const results: OwnedNamespaceResult[] = [];
  for (let i = 0; i < unique.length; i += NSOWNER_BATCH) {
    const batch = unique.slice(i, i + NSOWNER_BATCH);
    const r = await run('python3', [NSOWNER_SCRIPT, cmd, ...batch], { timeoutMs: 30_000 + 100 * batch.length });
    const byName = new Map<string, OwnedNamespaceResult>();
    for (const line of r.stdout.split('\n')) {
      if (!line.trim()) continue;
      try {
        const o = JSON.parse(line) as OwnedNamespaceResult;
        if (typeof o.name === 'string') byName.set(o.name, o);
      } catch {
        /* not ours: reported below as missing */
      }
    }
    const why = r.stderr.trim() || `nsowner exited with ${r.code}`;
    for (const name of batch) results.push(byName.get(name) ?? { name, ok: false, error: why });
  }
  return results;
}

/**
 * Creates each named network namespace owned by a new user namespace (inside uid/gid 1000 = a unique
 * unprivileged host uid; nested user namespaces disabled). An existing name fails and is left alone.
 */
export function ownedNamespaceAdd(names: readonly string[]): Promise<OwnedNamespaceResult[]> {
  return nsowner('add', names);
}

/**
 * Kills every process inside the namespaces (sandboxes included: a live process keeps a netns alive),
 * then removes the netns and userns pins and frees the host uids, and the cgroup of sandboxes that
 * were started without a group of their own (nodeSandboxGroup). A missing name is success.
 */
export async function ownedNamespaceDel(names: readonly string[]): Promise<OwnedNamespaceResult[]> {
  names.forEach(assertNamespaceName);
  await killProcessesIn(names);
  // in the long-lived rtnetlink executor when it runs (no Python start-up), else nsowner.py
  const results = (await deleteOwnedNamespacesViaNetlink(names)) ?? (await nsowner('del', names));
  const groups = await removeSandboxGroups(names.map(nodeSandboxGroup));
  return results.map((r) => {
    const g = groups.find((x) => x.group === nodeSandboxGroup(r.name));
    return g && !g.ok && r.ok ? { name: r.name, ok: false, error: `sandbox cgroup: ${g.error}` } : r;
  });
}

/** The host uid of an owned namespace, or undefined when it has none. */
export async function ownedNamespaceUid(ns: string): Promise<number | undefined> {
  assertNamespaceName(ns);
  const r = await run('python3', [NSOWNER_SCRIPT, 'uid', ns], { timeoutMs: 10_000 });
  return r.code === 0 ? Number(r.stdout.trim()) : undefined;
}
