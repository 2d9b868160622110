// Which kernel features a lab needs. Kernels differ (some lack bridge VLAN filtering, for one), so
// a lab is refused before anything is created when the running kernel misses one; the editor greys
// out the fields listed here. Paths point at the field that needs the feature.

import { looksIPv6 } from './addr6.js';
import { ruleFamilies } from './firewall-rule.js';
import type { Lab, Problem } from './model.js';

export type KernelFeature =
  | 'veth'
  | 'bridge'
  | 'vxlan'
  | 'bridge-vlan-filtering'
  | 'iptables-nat'
  | 'bridge-stp'
  | 'macvlan'
  | 'ebtables'
  | 'cni-plugins'
  | 'ip6tables';

export const KERNEL_FEATURES: readonly KernelFeature[] = [
  'veth',
  'bridge',
  'vxlan',
  'bridge-vlan-filtering',
  'iptables-nat',
  'bridge-stp',
  'macvlan',
  'ebtables',
  'cni-plugins',
  'ip6tables',
];

/** What each feature is, in words a student can look up. */
export const FEATURE_DESCRIPTIONS: Record<KernelFeature, string> = {
  veth: 'virtual ethernet pairs (veth)',
  bridge: 'Linux bridges (bridge)',
  vxlan: 'VXLAN tunnels (vxlan)',
  'bridge-vlan-filtering': 'bridge VLAN filtering (bridge vlan_filtering)',
  'iptables-nat': 'iptables NAT and filtering (the iptables nat and filter tables)',
  'bridge-stp': 'the bridge spanning tree protocol (bridge stp_state)',
  macvlan: 'macvlan interfaces (macvlan)',
  ebtables: 'ebtables bridge filtering (ebtables, the nf_tables bridge family)',
  'cni-plugins':
    'the reference CNI plugins bridge, ptp, macvlan and host-local (Debian containernetworking-plugins, /usr/lib/cni)',
  ip6tables: 'IPv6 netfilter (ip6tables: IPv6 Services, NAT, port forwards, policies and firewall rules)',
};

export interface FeatureUse {
  feature: KernelFeature;
  path: string;
}

/** Every use of a kernel feature in the lab, in file order (a feature may appear at several paths). */
export function requiredFeatures(lab: Lab): FeatureUse[] {
  const uses: FeatureUse[] = [];
  const links = Array.isArray(lab.links) ? lab.links : [];
  // One entry for veth: every link needs it, and listing them all would only repeat the same fact.
  if (links.length > 0) uses.push({ feature: 'veth', path: 'links' });
  for (const [name, node] of Object.entries(lab.nodes ?? {})) {
    const path = `nodes.${name}`;
    if (node.kind === 'bridge') {
      uses.push({ feature: 'bridge', path });
      if (node.vlanFiltering === true) uses.push({ feature: 'bridge-vlan-filtering', path: `${path}.vlanFiltering` });
      if (node.stp === true) uses.push({ feature: 'bridge-stp', path: `${path}.stp` });
    } else {
      if (node.nat?.length) uses.push({ feature: 'iptables-nat', path: `${path}.nat` });
      if (node.portForwards?.length) uses.push({ feature: 'iptables-nat', path: `${path}.portForwards` });
      if (node.forwardPolicy === 'drop') uses.push({ feature: 'iptables-nat', path: `${path}.forwardPolicy` });
      if (node.firewall?.length) uses.push({ feature: 'iptables-nat', path: `${path}.firewall` });
      (node.nat ?? []).forEach((n, i) => {
        if (looksIPv6(n.masquerade)) uses.push({ feature: 'ip6tables', path: `${path}.nat[${i}]` });
      });
      (node.portForwards ?? []).forEach((f, i) => {
        if (typeof f.to === 'string' && f.to.startsWith('['))
          uses.push({ feature: 'ip6tables', path: `${path}.portForwards[${i}]` });
      });
      (Array.isArray(node.firewall) ? node.firewall : []).forEach((r, i) => {
        if (r && typeof r === 'object' && ruleFamilies(r).includes(6))
          uses.push({ feature: 'ip6tables', path: `${path}.firewall[${i}]` });
      });
      if (Array.isArray(node.cni) && node.cni.length > 0) uses.push({ feature: 'cni-plugins', path: `${path}.cni` });
    }
  }
  if (lab.policies?.length) {
    uses.push({ feature: 'iptables-nat', path: 'policies' });
    // Pods with IPv6 addresses get the policy chains in ip6tables too (compile-policy.ts).
    const v6 = links.some((l) => [l?.a, l?.b].some((e) => (e?.addresses ?? []).some(looksIPv6)));
    if (v6) uses.push({ feature: 'ip6tables', path: 'policies' });
  }
  links.forEach((link, i) => {
    for (const side of ['a', 'b'] as const) {
      if (link[side]?.vlan !== undefined)
        uses.push({ feature: 'bridge-vlan-filtering', path: `links[${i}].${side}.vlan` });
      if (link[side]?.bridgePort?.antiSpoof === true)
        uses.push({ feature: 'ebtables', path: `links[${i}].${side}.bridgePort.antiSpoof` });
    }
  });
  (lab.overlays ?? []).forEach((_, i) => uses.push({ feature: 'vxlan', path: `overlays[${i}]` }));
  // kube-proxy's chains live in the nat table (their `statistic` match is measured present with it).
  (Array.isArray(lab.services) ? lab.services : []).forEach((svc, i) => {
    uses.push({ feature: 'iptables-nat', path: `services[${i}]` });
    if (looksIPv6(svc?.clusterIP)) uses.push({ feature: 'ip6tables', path: `services[${i}].clusterIP` });
  });
  (Array.isArray(lab.macvlans) ? lab.macvlans : []).forEach((_, i) =>
    uses.push({ feature: 'macvlan', path: `macvlans[${i}]` }),
  );
  return uses;
}

/** One `kernel.unsupported` problem per use of a feature missing from `available`. */
export function checkFeatures(lab: Lab, available: Set<KernelFeature>): Problem[] {
  return requiredFeatures(lab)
    .filter((u) => !available.has(u.feature))
    .map((u) => ({
      path: u.path,
      code: 'kernel.unsupported',
      message: `this machine's kernel does not support ${FEATURE_DESCRIPTIONS[u.feature]}, so this lab cannot run here`,
    }));
}
