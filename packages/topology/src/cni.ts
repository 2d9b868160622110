// CNI attachments (LAB-FORMAT.md "cni"), in lab terms and as plan operations. Pure: which
// attachments a lab wants and the network config each passes to its plugin (`desiredCni`), the
// operations that take what is attached now to that (`planCni`: DEL what went or changed, ADD what
// came or changed), and the kernel objects a plugin made, which the lab's diff must leave alone
// (`withoutCniObjects`). The engine carries the operations out through the kernel driver (the
// plugin runs with its network namespace set to the host node's, CNI_NETNS the container's) and
// records each attachment's config and result, which is what `withoutCniObjects` reads.
import { type CniOpDetail } from './cni-command.js';
import { CNI_DEFAULT_BRIDGE, CNI_VERSION, type CniPlugin, type CniSpec } from './model-cni.js';
import type { Lab } from './model.js';
import { isBridge } from './model.js';
import { namespaceName } from './naming.js';
import type { Op } from './plan-types.js';
import type { KernelState } from './state.js';
export * from './cni-command.js';

/** The network configuration handed to a plugin on stdin (the CNI spec's "network configuration"). */
export interface CniNetworkConfig {
  cniVersion: string;
  name: string;
  type: CniPlugin;
  [field: string]: unknown;
}

/** An attachment the lab wants. */
export interface CniAttachment {
  /** `NODE.IFNAME`: the attachment's identity (file-name safe: node and interface names are). */
  key: string;
  node: string;
  iface: string;
  host: string;
  /** Kernel names of the container's and the host's namespaces. */
  ns: string;
  hostNs: string;
  /** CNI_CONTAINERID: the container's namespace name. */
  containerId: string;
  plugin: CniPlugin;
  config: CniNetworkConfig;
}

/** An attachment as the engine records it: what was passed on ADD and what the plugin answered. */
export interface CniRecord extends CniAttachment {
  /** The plugin's result JSON (a CNI 1.0.0 result: interfaces, ips, routes, dns). */
  result?: CniResult;
  /** The last CHECK: ok, or the plugin's error. */
  check?: { ok: boolean; error?: string };
}

/** The parts of a CNI result Patchbay reads (the whole JSON is kept and shown). */
export interface CniResult {
  cniVersion?: string;
  interfaces?: { name: string; mac?: string; sandbox?: string }[];
  ips?: { address: string; gateway?: string; interface?: number }[];
  routes?: { dst: string; gw?: string }[];
  [field: string]: unknown;
}

const specs = (node: { cni?: CniSpec[] }): CniSpec[] => (Array.isArray(node.cni) ? node.cni : []);

/** The network config of one attachment; `ipamDir` is host-local's dataDir (one per lab). */
export function cniConfig(spec: CniSpec, ipamDir: string): CniNetworkConfig {
  const range: Record<string, string> = { subnet: spec.subnet };
  if (spec.gateway !== undefined) range.gateway = spec.gateway;
  if (spec.rangeStart !== undefined) range.rangeStart = spec.rangeStart;
  if (spec.rangeEnd !== undefined) range.rangeEnd = spec.rangeEnd;
  const ipam: Record<string, unknown> = { type: 'host-local', ranges: [[range]] };
  if (spec.routes?.length) ipam.routes = spec.routes.map((dst) => ({ dst }));
  ipam.dataDir = ipamDir;
  const config: CniNetworkConfig = { cniVersion: CNI_VERSION, name: spec.network, type: spec.plugin };
  if (spec.plugin === 'bridge') {
    config.bridge = spec.bridge ?? CNI_DEFAULT_BRIDGE;
    config.isGateway = spec.isGateway ?? true;
    if (spec.hairpinMode !== undefined) config.hairpinMode = spec.hairpinMode;
  }
  if (spec.plugin === 'macvlan') {
    config.master = spec.master;
    config.mode = spec.mode ?? 'bridge';
  }
  if (spec.mtu !== undefined) config.mtu = spec.mtu;
  config.ipam = ipam;
  return config;
}

/** Every attachment `lab` wants, in file order. */
export function desiredCni(lab: Lab, prefix: string, ipamDir: string): CniAttachment[] {
  const out: CniAttachment[] = [];
  for (const [node, spec] of Object.entries(lab.nodes)) {
    if (isBridge(spec)) continue;
    for (const c of specs(spec)) {
      const ns = namespaceName(prefix, lab.name, node);
      out.push({
        key: `${node}.${c.interface}`,
        node,
        iface: c.interface,
        host: c.host,
        ns,
        hostNs: namespaceName(prefix, lab.name, c.host),
        containerId: ns,
        plugin: c.plugin,
        config: cniConfig(c, ipamDir),
      });
    }
  }
  return out;
}

/** Two attachments are the same one, attached the same way (no DEL + ADD between them). */
const sameAttachment = (a: CniAttachment, b: CniAttachment): boolean =>
  a.ns === b.ns &&
  a.hostNs === b.hostNs &&
  a.iface === b.iface &&
  a.containerId === b.containerId &&
  JSON.stringify(a.config) === JSON.stringify(b.config);

const bridgeOf = (a: CniAttachment): string | undefined =>
  a.plugin === 'bridge' ? (typeof a.config.bridge === 'string' ? a.config.bridge : CNI_DEFAULT_BRIDGE) : undefined;

function cniOp(a: CniAttachment, command: 'ADD' | 'DEL', reason: string, removeBridge?: string): Op {
  const cni: CniOpDetail = {
    command,
    key: a.key,
    containerNs: a.ns,
    ifname: a.iface,
    containerId: a.containerId,
    plugin: a.plugin,
  };
  if (removeBridge) cni.removeBridge = removeBridge;
  return {
    phase: command === 'ADD' ? 'cni' : 'uncni',
    tool: 'cni',
    ns: a.hostNs,
    args: [command, a.key],
    input: JSON.stringify(a.config),
    cni,
    kind: 'cni',
    action: command === 'ADD' ? 'add' : 'remove',
    subject: { node: a.node, iface: a.iface, detail: a.plugin },
    reason,
    alsoTouches: [a.ns],
  };
}

/**
 * The operations from the recorded attachments to the desired ones: an unchanged attachment stays;
 * a removed or changed one gets DEL (with the config it was added with), a new or changed one ADD.
 * `replaced`: namespaces the kernel plan deletes (and maybe makes again): what is attached in them
 * is DELeted first (IPAM gives its address back), and ADDed again if still wanted.
 */
export function planCni(
  desired: readonly CniAttachment[],
  recorded: readonly CniAttachment[],
  opts: { replaced?: ReadonlySet<string> } = {},
): Op[] {
  const replaced = opts.replaced ?? new Set<string>();
  const gone = (a: CniAttachment) => replaced.has(a.ns) || replaced.has(a.hostNs);
  const keep = new Set(
    desired.filter((d) => !gone(d) && recorded.some((r) => r.key === d.key && sameAttachment(r, d))).map((d) => d.key),
  );
  const dels = recorded.filter((r) => !keep.has(r.key));
  // A bridge stays while an attachment that stays unchanged uses it; the last DEL on it removes it
  // (unless its host's namespace goes anyway), also when attachments come back on it: the bridge
  // plugin refuses a bridge whose address is another pool's gateway, so a changed pool needs a
  // fresh bridge, which the next ADD makes.
  const stillUsed = new Set(
    desired.filter((d) => keep.has(d.key) && bridgeOf(d) !== undefined).map((d) => `${d.hostNs}/${bridgeOf(d)!}`),
  );
  const lastDel = new Map<string, string>();
  for (const r of dels) {
    const br = bridgeOf(r);
    if (br !== undefined && !stillUsed.has(`${r.hostNs}/${br}`) && !replaced.has(r.hostNs))
      lastDel.set(`${r.hostNs}/${br}`, r.key);
  }
  const ops: Op[] = dels.map((r) => {
    const br = bridgeOf(r);
    const removeBridge = br !== undefined && lastDel.get(`${r.hostNs}/${br}`) === r.key ? br : undefined;
    const wanted = desired.some((d) => d.key === r.key);
    return cniOp(
      r,
      'DEL',
      wanted ? 'CNI attachment changed: DEL with the old config, then ADD' : 'CNI attachment removed',
      removeBridge,
    );
  });
  for (const d of desired) {
    if (keep.has(d.key)) continue;
    ops.push(cniOp(d, 'ADD', `${d.node} attached to network ${d.config.name} by the ${d.plugin} plugin on ${d.host}`));
  }
  return ops;
}

/** The plan with CNI operations in place: DELs before the kernel's plan, ADDs after it (before processes start). */
export function withCniOps(ops: readonly Op[], cniOps: readonly Op[]): Op[] {
  const firstKernel = ops.findIndex((o) => o.phase !== 'unprocess');
  const at = firstKernel < 0 ? ops.length : firstKernel;
  const firstStart = ops.findIndex((o) => o.phase === 'process');
  const end = firstStart < 0 ? ops.length : firstStart;
  return [
    ...ops.slice(0, at),
    ...cniOps.filter((o) => o.phase === 'uncni'),
    ...ops.slice(at, end),
    ...cniOps.filter((o) => o.phase === 'cni'),
    ...ops.slice(end),
  ];
}

/**
 * `observed` without the kernel objects CNI plugins made for `records`: in the container, the
 * attachment's interface and the routes through it; in the host, the interfaces the result lists
 * without a sandbox (the bridge plugin's bridge and veth ends, ptp's veth end) and the routes
 * through them. The lab's diff then neither deletes them nor calls them drift: they are the
 * plugin's, and only DEL removes them.
 */
export function withoutCniObjects(observed: KernelState, records: readonly CniRecord[]): KernelState {
  if (records.length === 0) return observed;
  const drop = new Map<string, Set<string>>();
  const mark = (ns: string, iface: string) => {
    let set = drop.get(ns);
    if (!set) drop.set(ns, (set = new Set()));
    set.add(iface);
  };
  for (const r of records) {
    mark(r.ns, r.iface);
    for (const i of r.result?.interfaces ?? []) if (!i.sandbox) mark(r.hostNs, i.name);
    const br = bridgeOf(r);
    if (br !== undefined) mark(r.hostNs, br);
  }
  const namespaces = { ...observed.namespaces };
  for (const [ns, names] of drop) {
    const state = namespaces[ns];
    if (!state) continue;
    namespaces[ns] = {
      ...state,
      links: Object.fromEntries(Object.entries(state.links).filter(([name]) => !names.has(name))),
      routes: state.routes.filter((route) => route.dev === undefined || !names.has(route.dev)),
    };
  }
  return { ...observed, namespaces };
}

/** Host nodes that hold CNI-made objects (for the editor and docs: "this host runs a plugin"). */
export const cniHosts = (lab: Lab): Set<string> =>
  new Set(Object.values(lab.nodes).flatMap((n) => (isBridge(n) ? [] : specs(n).map((c) => c.host))));
