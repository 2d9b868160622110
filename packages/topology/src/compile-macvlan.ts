// compile, for macvlans and bridge ports: each macvlan as a link of kind macvlan in its node's
// namespace (naming its parent's namespace and interface), each veth end on a bridge with its port
// flags, and the ebtables anti-spoofing chains of the bridge hosts that ask for them.
import { normalizeMac } from './addr.js';
import { bridgePortEnds } from './bridge-port-ends.js';
import { ebtablesFor } from './compile-ebtables.js';
import type { Lab, LinkEndSpec } from './model.js';
import { DEFAULT_PORT_FLAGS, type PortFlags } from './model-macvlan.js';
import { namespaceName } from './naming.js';
import type { DesiredState } from './state.js';

export function compileMacvlans(lab: Lab, prefix: string, state: DesiredState): void {
  for (const m of lab.macvlans ?? []) {
    const ns = namespaceName(prefix, lab.name, m.node);
    state.namespaces[ns]!.links[m.interface] = {
      name: m.interface,
      kind: 'macvlan',
      up: m.up ?? true,
      mtu: m.mtu,
      mac: m.mac ? normalizeMac(m.mac) : undefined,
      master: '',
      addresses: [...new Set(m.addresses ?? [])].sort(),
      addrgenNone: true,
      macvlan: {
        mode: m.mode ?? 'bridge',
        parentNs: namespaceName(prefix, lab.name, m.parent.node),
        parent: m.parent.interface,
      },
    };
  }
}

/** A bridge port's flags: the lab's, the kernel's defaults for the rest. */
export function portFlagsOf(end: LinkEndSpec): PortFlags {
  const p = end.bridgePort ?? {};
  return {
    hairpin: p.hairpin ?? DEFAULT_PORT_FLAGS.hairpin,
    learning: p.learning ?? DEFAULT_PORT_FLAGS.learning,
    flood: p.flood ?? DEFAULT_PORT_FLAGS.flood,
    isolated: p.isolated ?? DEFAULT_PORT_FLAGS.isolated,
  };
}

/**
 * Every veth end on a bridge gets its port flags (the defaults when the lab says nothing, so a
 * flag turned on by hand is turned back off by the next apply, as any other drift). Bridge hosts
 * with an anti-spoofing port get their ebtables filter table.
 */
export function compileBridgePorts(lab: Lab, prefix: string, state: DesiredState): void {
  let antiSpoof = false;
  for (const e of bridgePortEnds(lab, prefix)) {
    const link = state.namespaces[e.ns]?.links[e.end.interface];
    if (link) link.port = portFlagsOf(e.end);
    if (e.end.bridgePort?.antiSpoof === true) antiSpoof = true;
  }
  if (!antiSpoof) return; // no port asks for it: no bridge host has an ebtables table to compile
  for (const [ns, table] of Object.entries(ebtablesFor(lab, prefix))) {
    const nsState = state.namespaces[ns];
    if (nsState) nsState.ebtables = table;
  }
}
