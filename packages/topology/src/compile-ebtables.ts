// ebtables anti-spoofing for bridge ports (`bridgePort.antiSpoof`), as the filter table of the
// bridge's host in the exact form `ebtables-save` prints (ebtables-nft 1.8.9), so desired and
// observed compare line by line. Per port, one chain in the style of libvirt's no-mac-spoofing and
// no-ip-spoofing filters: a frame entering by the port (forwarded, or to the host itself) must carry
// the far end's MAC as its source, and IPv4 and ARP must carry one of its addresses.
import { normalizeMac } from './addr.js';
import { bridgePortEnds } from './bridge-port-ends.js';
import type { Lab } from './model.js';
import type { EbtablesState } from './state.js';

export const EBTABLES_CHAINS = ['INPUT', 'FORWARD', 'OUTPUT'] as const;

export function defaultEbtablesState(): EbtablesState {
  return { filter: EBTABLES_CHAINS.map((c) => `:${c} ACCEPT`) };
}

export function ebtablesEqual(a: EbtablesState, b: EbtablesState): boolean {
  return a.filter.length === b.filter.length && a.filter.every((l, i) => l === b.filter[i]);
}

/** Input for `ebtables-restore` that replaces the filter table with `state`. */
export function ebtablesRestoreText(state: EbtablesState): string {
  return ['*filter', ...state.filter, 'COMMIT', ''].join('\n');
}

/** The chain of one anti-spoofing port (ebtables chain names may be 31 characters; ports 15). */
export const antiSpoofChain = (port: string) => `PB-${port}`;

interface GuardedPort {
  port: string;
  mac: string;
  ips: string[];
}

/** The anti-spoofing ports of each bridge host namespace (namespace → ports sorted by name). */
function guardedPorts(lab: Lab, prefix: string): Map<string, GuardedPort[]> {
  const out = new Map<string, GuardedPort[]>();
  for (const e of bridgePortEnds(lab, prefix)) {
    if (e.end.bridgePort?.antiSpoof !== true) continue;
    const far = e.far;
    if (!far.mac) continue; // validation requires it
    const ips = [...new Set((far.addresses ?? []).map((a) => a.split('/')[0]!))].sort();
    out.set(e.ns, [...(out.get(e.ns) ?? []), { port: e.end.interface, mac: normalizeMac(far.mac), ips }]);
  }
  for (const ports of out.values()) ports.sort((a, b) => (a.port < b.port ? -1 : a.port > b.port ? 1 : 0));
  return out;
}

/** The filter table of each bridge host namespace that has an anti-spoofing port. */
export function ebtablesFor(lab: Lab, prefix: string): Record<string, EbtablesState> {
  const out: Record<string, EbtablesState> = {};
  for (const [ns, ports] of guardedPorts(lab, prefix)) {
    const chains = ports.map((p) => `:${antiSpoofChain(p.port)} RETURN`);
    // ebtables-save prints rules chain by chain: INPUT, FORWARD, OUTPUT, then user chains.
    const input = ports.map((p) => `-A INPUT -i ${p.port} -j ${antiSpoofChain(p.port)}`);
    const forward = ports.map((p) => `-A FORWARD -i ${p.port} -j ${antiSpoofChain(p.port)}`);
    const guards = ports.flatMap((p) => {
      const c = `-A ${antiSpoofChain(p.port)}`;
      return [
        `${c} -s ! ${p.mac} -j DROP`,
        ...p.ips.map((ip) => `${c} -p IPv4 --ip-src ${ip} -j RETURN`),
        `${c} -p IPv4 -j DROP`,
        ...p.ips.map((ip) => `${c} -p ARP --arp-ip-src ${ip} --arp-mac-src ${p.mac} -j RETURN`),
        `${c} -p ARP -j DROP`,
      ];
    });
    out[ns] = { filter: [...defaultEbtablesState().filter, ...chains, ...input, ...forward, ...guards] };
  }
  return out;
}

/** Namespaces whose ebtables a lab manages (used to reset them when a later revision stops). */
export function ebtablesNamespaces(lab: Lab, prefix: string): string[] {
  return Object.keys(ebtablesFor(lab, prefix)).sort();
}
