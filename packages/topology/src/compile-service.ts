// Services as kube-proxy's iptables mode writes them (pkg/proxy/iptables/proxier.go), in the nat
// table of every proxy node, in iptables-save's canonical form:
//   PREROUTING, OUTPUT → KUBE-SERVICES: "-d CLUSTERIP -p PROTO --dport PORT" → KUBE-SVC-<hash>
//   KUBE-SERVICES' last rule: destined to a local address → KUBE-NODEPORTS → KUBE-EXT-<hash>
//   KUBE-EXT-<hash>: KUBE-MARK-MASQ (NodePort traffic is masqueraded), then KUBE-SVC-<hash>
//   KUBE-SVC-<hash>: one endpoint at random: "-m statistic --mode random --probability 1/(n-i)"
//   KUBE-SEP-<hash>: KUBE-MARK-MASQ when the endpoint is the client (hairpin), DNAT to ADDR:PORT
//   POSTROUTING → KUBE-POSTROUTING: marked packets are masqueraded (the mark is cleared first).
// The hashes are kube-proxy's (base32 of SHA-256 of "default/NAME:PORTNAME" + protocol), so a
// chain here has the name it would have in a cluster. The family (iptables or ip6tables) follows
// the ClusterIP's: the rules of one family come from the Services of that family only.
import type { Lab } from './model.js';
import { isBridge } from './model.js';
import { SERVICE_NAMESPACE, type ServicePortSpec, type ServiceSpec } from './model-service.js';
import { canonicalIp } from './addr6.js';
import { IMPLICIT_HOST } from './naming.js';
import { base32, sha256 } from './sha256.js';

export type IpFamily = 4 | 6;
export const addressFamily = (address: string): IpFamily => (address.includes(':') ? 6 : 4);

/** User-defined chains and rules a node's nat table gains, by chain, in the order they are written. */
export type ChainRules = Map<string, string[]>;

/** kube-proxy's "namespace/name:port" (":port" only when the port is named). */
export function servicePortName(service: ServiceSpec, port: ServicePortSpec): string {
  return `${SERVICE_NAMESPACE}/${service.name}${port.name ? `:${port.name}` : ''}`;
}

/** kube-proxy's portProtoHash: the first 16 characters of base32(sha256(name + protocol [+ endpoint])). */
export function kubeChainHash(portName: string, protocol: string, endpoint = ''): string {
  return base32(sha256(portName + protocol + endpoint)).slice(0, 16);
}

/**
 * The probability kube-proxy gives the i-th of n endpoints (1/(n−i), so each is chosen with 1/n
 * overall), as iptables-save prints it back: the kernel keeps it as a fraction of 2^31 shown with
 * 11 decimals (kube-proxy writes "%0.10f").
 */
export function statisticProbability(i: number, n: number): string {
  const written = Number((1 / (n - i)).toFixed(10));
  return (Math.round(written * 0x80000000) / 0x80000000).toFixed(11);
}

/** The address an endpoint stands for: its own, or the node's first one of `family`. */
export function endpointAddress(lab: Lab, node: string, family: IpFamily, given?: string): string | undefined {
  if (given) return given;
  const fromLinks = lab.links.flatMap((l) => [l.a, l.b]).filter((e) => e.node === node);
  const fromMacvlans = (lab.macvlans ?? []).filter((m) => m.node === node);
  const all = [...fromLinks, ...fromMacvlans].flatMap((e) => e.addresses ?? []).map((a) => a.split('/')[0]!);
  return all.find((a) => addressFamily(a) === family);
}

/** The nodes a Service's chains are written in: its `nodes`, else every host node and the implicit host. */
export function serviceProxyNodes(lab: Lab, service: ServiceSpec): string[] {
  if (service.nodes) return [...service.nodes];
  const nodes = Object.entries(lab.nodes);
  const hosts = nodes.filter(([, n]) => n.kind === 'host').map(([name]) => name);
  const implicit = nodes.some(([, n]) => isBridge(n) && !n.host) ? [IMPLICIT_HOST] : [];
  return [...hosts.sort(), ...implicit];
}

const hostMask = (family: IpFamily) => (family === 4 ? 32 : 128);
const withPort = (address: string, port: number) =>
  addressFamily(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
const MASQ_MARK = '0x4000';

/**
 * The kube-proxy chains of every proxy node (by node name; IMPLICIT_HOST for the bridges' implicit
 * host), for the Services of `family`. A node no Service names is absent.
 */
export function serviceChains(lab: Lab, family: IpFamily): Map<string, ChainRules> {
  const out = new Map<string, ChainRules>();
  for (const service of lab.services ?? []) {
    if (addressFamily(service.clusterIP) !== family) continue;
    for (const node of serviceProxyNodes(lab, service)) {
      let chains = out.get(node);
      if (!chains) out.set(node, (chains = baseChains()));
      addService(lab, service, family, chains);
    }
  }
  // KUBE-SERVICES' NodePort rule comes last, as kube-proxy writes it ("this must be the last rule").
  for (const chains of out.values()) {
    chains
      .get('KUBE-SERVICES')!
      .push(
        '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
      );
  }
  return out;
}

/** The jumps from the built-in chains and the chains every proxy node has, Services or not. */
function baseChains(): ChainRules {
  return new Map([
    ['PREROUTING', ['-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES']],
    ['OUTPUT', ['-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES']],
    ['POSTROUTING', ['-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING']],
    ['KUBE-SERVICES', []],
    ['KUBE-NODEPORTS', []],
    ['KUBE-MARK-MASQ', [`-A KUBE-MARK-MASQ -j MARK --set-xmark ${MASQ_MARK}/${MASQ_MARK}`]],
    [
      'KUBE-POSTROUTING',
      [
        `-A KUBE-POSTROUTING -m mark ! --mark ${MASQ_MARK}/${MASQ_MARK} -j RETURN`,
        // Cleared so that a packet passing a second proxy node is not masqueraded again there.
        `-A KUBE-POSTROUTING -j MARK --set-xmark ${MASQ_MARK}/0x0`,
        '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
      ],
    ],
  ]);
}

function addService(lab: Lab, service: ServiceSpec, family: IpFamily, chains: ChainRules): void {
  const mask = hostMask(family);
  const push = (chain: string, rule: string) => {
    let rules = chains.get(chain);
    if (!rules) chains.set(chain, (rules = []));
    rules.push(`-A ${chain} ${rule}`);
  };
  for (const port of service.ports) {
    const proto = port.protocol ?? 'tcp';
    const target = port.targetPort ?? port.port;
    const name = servicePortName(service, port);
    const hash = kubeChainHash(name, proto);
    const svc = `KUBE-SVC-${hash}`;
    const endpoints = service.endpoints
      .map((e) => endpointAddress(lab, e.node, family, e.address))
      .filter((a): a is string => a !== undefined)
      .map(canonicalIp);
    // Without endpoints kube-proxy writes no chain for the port (its filter table rejects instead).
    if (endpoints.length === 0) continue;
    push(
      'KUBE-SERVICES',
      `-d ${canonicalIp(service.clusterIP)}/${mask} -p ${proto} -m comment --comment "${name} cluster IP" -m ${proto} --dport ${port.port} -j ${svc}`,
    );
    if (port.nodePort !== undefined) {
      const ext = `KUBE-EXT-${hash}`;
      push(
        'KUBE-NODEPORTS',
        `-p ${proto} -m comment --comment "${name}" -m ${proto} --dport ${port.nodePort} -j ${ext}`,
      );
      push(ext, `-m comment --comment "masquerade traffic for ${name} external destinations" -j KUBE-MARK-MASQ`);
      push(ext, `-j ${svc}`);
    }
    endpoints.forEach((address, i) => {
      const endpoint = withPort(address, target);
      const sep = `KUBE-SEP-${kubeChainHash(name, proto, endpoint)}`;
      const pick =
        i < endpoints.length - 1
          ? ` -m statistic --mode random --probability ${statisticProbability(i, endpoints.length)}`
          : '';
      push(svc, `-m comment --comment "${name} -> ${endpoint}"${pick} -j ${sep}`);
      push(sep, `-s ${address}/${mask} -m comment --comment "${name}" -j KUBE-MARK-MASQ`);
      push(sep, `-p ${proto} -m comment --comment "${name}" -m ${proto} -j DNAT --to-destination ${endpoint}`);
    });
  }
}
