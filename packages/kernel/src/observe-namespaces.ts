// observeNamespaces: the state of named namespaces, each read whole — through the rtnetlink executor
// when it runs (nlexec.ts: no process, the same values `ip -j -d` prints, the executor's tests prove
// it), else with one `ip -j -d -batch -` — plus `bridge -j -batch -` when it has VXLAN devices and
// `iptables-save` / `ebtables-save` when asked. Mapping the JSON to a state is observe.ts's.
import { resolveVethPeers, type KernelState, type NamespaceState } from '@patchbay/topology';
import { parseEbtablesSave } from './ebtables-text.js';
import { parseIptablesSave } from './iptables-text.js';
import { parseConcatenatedJson } from './json.js';
import { listNamespaces } from './namespaces.js';
import { readViaNetlink } from './nlexec.js';
import {
  IP_BATCH,
  ObserveError,
  type ObserveOptions,
  type RawLink,
  addBridgeFdbAttrs,
  addFdbAttrs,
  asArray,
  cmp,
  namespaceFromJson,
  namespaceIdsFromJson,
  readFloodsOf,
} from './observe.js';
import { assertNamespaceName, mapLimit, runInNamespace, type RunResult } from './process.js';

/**
 * Whether a read failed because the namespace is gone: its pin missing, or (while it is being
 * deleted, between the unmount and the unlink of its pin) a plain file that `setns` refuses with
 * EINVAL; a state read racing a destroy answered 500 for that.
 */
export function isMissingNamespace(stderr: string): boolean {
  if (/reassociate to namespace .* failed: Invalid argument/.test(stderr)) return true;
  return /No such file or directory|Cannot open network namespace/i.test(stderr) && /nsenter|netns/i.test(stderr);
}

async function readIptables(ns: string, cmd: 'iptables-save' | 'ip6tables-save' = 'iptables-save') {
  const r = await runInNamespace(ns, cmd, []);
  if (r.code !== 0) throw new ObserveError(ns, `${cmd} failed: ${r.stderr.trim()}`);
  return parseIptablesSave(r.stdout);
}

async function readEbtables(ns: string) {
  const r = await runInNamespace(ns, 'ebtables-save', []);
  if (r.code !== 0) throw new ObserveError(ns, `ebtables-save failed: ${r.stderr.trim()}`);
  return parseEbtablesSave(r.stdout);
}

/** READ_COMMANDS' values of `ns` through the executor; undefined when it is off or the read failed (then `ip`). */
async function executorRead(ns: string): Promise<unknown[] | undefined> {
  try {
    return await readViaNetlink(ns);
  } catch {
    return undefined; // a namespace gone meanwhile, or the helper died: `ip` says which
  }
}

async function readNamespace(
  ns: string,
  withIptables: boolean,
  withPeerNamespaces: boolean,
  withEbtables: boolean | 'if-available' = false,
  withIp6tables = false,
): Promise<NamespaceState | undefined> {
  // The peer namespaces' ids ride in the same `ip -batch` (one process, not two): its last value.
  const [r, iptables, ebtables, ip6tables] = await Promise.all([
    withPeerNamespaces
      ? runInNamespace(ns, 'ip', ['-j', '-d', '-batch', '-'], { input: `${IP_BATCH}netns list-id\n` })
      : executorRead(ns).then(
          (values): Promise<unknown[] | RunResult> =>
            values
              ? Promise.resolve(values)
              : runInNamespace(ns, 'ip', ['-j', '-d', '-batch', '-'], { input: IP_BATCH }),
        ),
    withIptables ? readIptables(ns).catch((e: unknown) => e as Error) : Promise.resolve(undefined),
    withEbtables
      ? readEbtables(ns).catch((e: unknown) => (withEbtables === 'if-available' ? undefined : (e as Error)))
      : Promise.resolve(undefined),
    withIp6tables ? readIptables(ns, 'ip6tables-save').catch((e: unknown) => e as Error) : Promise.resolve(undefined),
  ]);
  if (Array.isArray(r)) {
    // the executor's read: its link values carry each bridge's FDB cap and count (no bridge-attrs process)
    const state = namespaceFromJson(ns, r);
    addFdbAttrs(state, r[0]);
    return withTables(state, await readFloodsOf(state), iptables, ebtables, ip6tables);
  }
  if (r.code !== 0) {
    if (isMissingNamespace(r.stderr)) return undefined;
    throw new ObserveError(ns, `ip -batch failed (${r.code}): ${r.stderr.trim()}`);
  }
  const values = parseConcatenatedJson(r.stdout);
  const ids = withPeerNamespaces ? namespaceIdsFromJson(ns, values.pop()) : undefined;
  const state = namespaceFromJson(ns, values);
  if (ids) setPeerNamespaces(state, asArray<RawLink>(values[0], ns, 'link show'), ids);
  const [floods] = await Promise.all([readFloodsOf(state), addBridgeFdbAttrs(state)]);
  return withTables(state, floods, iptables, ebtables, ip6tables);
}

function withTables(
  state: NamespaceState,
  floods: NamespaceState['floods'],
  iptables: NamespaceState['iptables'] | Error | undefined,
  ebtables: NamespaceState['ebtables'] | Error | undefined,
  ip6tables: NamespaceState['ip6tables'] | Error | undefined,
): NamespaceState {
  if (iptables instanceof Error) throw iptables;
  if (ebtables instanceof Error) throw ebtables;
  if (ip6tables instanceof Error) throw ip6tables;
  state.floods = floods;
  if (iptables) state.iptables = iptables;
  if (ebtables) state.ebtables = ebtables;
  if (ip6tables) state.ip6tables = ip6tables;
  return state;
}

/** Each veth's `peerNamespace`: its own namespace, or the one its link-netnsid names (unknown: left out). */
function setPeerNamespaces(state: NamespaceState, links: RawLink[], ids: Map<number, string>): void {
  for (const raw of links) {
    const link = state.links[raw.ifname];
    if (link?.kind !== 'veth') continue;
    const peerNs = raw.link_netnsid === undefined ? state.name : ids.get(raw.link_netnsid);
    if (peerNs !== undefined) link.peerNamespace = peerNs;
  }
}

/**
 * The state of the named namespaces that exist (absent ones are simply not in the result).
 * Veth peers are resolved among the namespaces read; a peer elsewhere stays unknown ("").
 */
export async function observeNamespaces(names: readonly string[], opts: ObserveOptions = {}): Promise<KernelState> {
  const wanted = [...new Set(names)];
  wanted.forEach(assertNamespaceName);
  const present = new Set(await listNamespaces());
  const targets = wanted.filter((n) => present.has(n));
  const results = await mapLimit(targets, opts.concurrency ?? 4, (ns) =>
    readNamespace(
      ns,
      opts.iptables?.has(ns) ?? false,
      opts.peerNamespaces ?? false,
      opts.ebtables?.has(ns) ? true : opts.ebtablesIfAvailable?.has(ns) ? 'if-available' : false,
      opts.ip6tables?.has(ns) ?? false,
    ),
  );
  const namespaces: Record<string, NamespaceState> = {};
  for (const r of results.filter((x): x is NamespaceState => x !== undefined).sort((a, b) => cmp(a.name, b.name))) {
    namespaces[r.name] = r;
  }
  const state: KernelState = { namespaces };
  resolveVethPeers(state, { complete: false });
  return state;
}
