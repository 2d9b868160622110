// The link ends that are bridge ports, each with its far end and the namespace it lands in (the
// bridge's host, or the lab's implicit one): what port flags and anti-spoofing are compiled from.
import { type Lab, type LinkEndSpec, isBridge } from './model.js';
import { implicitHostNamespace, namespaceName } from './naming.js';

export interface BridgePortEnd {
  /** The end on the bridge (the port). */
  end: LinkEndSpec;
  /** The other end of the veth pair. */
  far: LinkEndSpec;
  ns: string;
}

export function bridgePortEnds(lab: Lab, prefix: string): BridgePortEnd[] {
  const out: BridgePortEnd[] = [];
  for (const link of lab.links) {
    for (const [end, far] of [
      [link.a, link.b],
      [link.b, link.a],
    ] as const) {
      const node = lab.nodes[end.node];
      if (!node || !isBridge(node)) continue;
      const ns = node.host ? namespaceName(prefix, lab.name, node.host) : implicitHostNamespace(prefix, lab.name);
      out.push({ end, far, ns });
    }
  }
  return out;
}
