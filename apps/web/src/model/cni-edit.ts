// Pure edits of a node's CNI attachments (topology model-cni.ts), as the inspector makes them: a
// new attachment picks a host node and a free interface name, and switching the plugin keeps only
// the fields that plugin takes (the lab's validation refuses the others: cni.field); and the
// words the node's panels show for an attachment's state.
import { isBridge, type CniPlugin, type CniSpec, type CniView, type Lab } from '@patchbay/topology';
import { hostInterfaces } from './macvlan-edit';

/** The host nodes that can run `node`'s plugin (every host but itself). */
export const cniHostChoices = (lab: Lab, node: string): string[] =>
  Object.entries(lab.nodes)
    .filter(([name, spec]) => name !== node && spec.kind === 'host')
    .map(([name]) => name);

/** The next `ethN` no link or attachment of `node` uses. */
function freeInterface(lab: Lab, node: string): string {
  const used = new Set<string>();
  for (const l of lab.links) for (const e of [l.a, l.b]) if (e.node === node) used.add(e.interface);
  const spec = lab.nodes[node];
  if (spec && !isBridge(spec)) for (const c of spec.cni ?? []) used.add(c.interface);
  for (const m of lab.macvlans ?? []) if (m.node === node) used.add(m.interface);
  let i = 0;
  while (used.has(`eth${i}`)) i++;
  return `eth${i}`;
}

/**
 * A new attachment of `node`: the bridge plugin on the first host, joining the network another node
 * of the lab already uses on that host (same pool, same bridge), else podnet 10.22.0.0/24.
 * Undefined when the lab has no host to run the plugin in.
 */
export function newCniAttachment(lab: Lab, node: string): CniSpec | undefined {
  const host = cniHostChoices(lab, node)[0];
  if (host === undefined) return undefined;
  const existing = Object.values(lab.nodes)
    .flatMap((n) => (isBridge(n) ? [] : (n.cni ?? [])))
    .find((c) => c.host === host && c.plugin === 'bridge');
  const base: CniSpec = existing
    ? { ...existing }
    : { host, interface: '', plugin: 'bridge', network: 'podnet', subnet: '10.22.0.0/24', routes: ['0.0.0.0/0'] };
  return { ...base, interface: freeInterface(lab, node) };
}

const BRIDGE_ONLY = ['bridge', 'isGateway', 'hairpinMode'] as const;
const MACVLAN_ONLY = ['master', 'mode'] as const;

/** `spec` for `plugin`: the other plugins' fields dropped; macvlan gets its host's first link end as master. */
export function withCniPlugin(lab: Lab, spec: CniSpec, plugin: CniPlugin): CniSpec {
  const out: CniSpec = { ...spec, plugin };
  const drop =
    plugin === 'bridge' ? MACVLAN_ONLY : plugin === 'macvlan' ? BRIDGE_ONLY : [...BRIDGE_ONLY, ...MACVLAN_ONLY];
  for (const f of drop) delete out[f];
  if (plugin === 'macvlan' && out.master === undefined) {
    const first = hostInterfaces(lab, spec.host)[0];
    if (first) out.master = first.name;
  }
  return out;
}

/** The routes field as typed: "0.0.0.0/0, 10.0.0.0/8" ⇄ a list (empty: no routes). */
export const cniRoutesText = (spec: CniSpec): string => (spec.routes ?? []).join(', ');
export function parseCniRoutes(text: string): string[] | undefined {
  const list = text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  return list.length ? list : undefined;
}

/** One line for an attachment in the node's panels: its state, address and gateway, its CHECK. */
export function cniStateText(v: CniView): string {
  if (v.state === 'pending') return 'not attached yet: apply the lab';
  const ip = v.result?.ips?.[0];
  const where = ip ? `${ip.address}${ip.gateway ? ` via ${ip.gateway}` : ''}` : 'no address';
  const check = v.check === undefined ? '' : v.check.ok ? ' · CHECK ok' : ` · CHECK failed: ${v.check.error ?? ''}`;
  return `attached by ${v.plugin} on ${v.host}: ${where}${check}`;
}
