// The lab's layer 2 wiring as the kernel shows it, states ignored: which interfaces a frame leaving
// one reaches in a step (a veth's peer, a bridge's ports, a VXLAN device's far ends of the same VNI,
// a macvlan's parent and a parent's macvlans),
// and whether a frame can get from one interface to another at all. The walk decides which way a
// flood finds its target on this, then checks the states along that way.
import type { KernelEnd, LabFacts } from './facts.js';
import { macvlanNeighbours } from './macvlan.js';

export const key = (e: KernelEnd) => `${e.ns}/${e.dev}`;

/** The other ends a frame leaving `end` reaches in one step, on the wiring alone. */
export function neighboursOf(facts: LabFacts, end: KernelEnd): KernelEnd[] {
  const l = facts.link(end.ns, end.dev);
  if (!l) return [];
  const out: KernelEnd[] = [];
  if (l.kind === 'veth' && l.veth) out.push({ ns: l.peerNamespace ?? l.veth.peerNs, dev: l.veth.peerName });
  if (l.master) out.push({ ns: end.ns, dev: l.master });
  if (l.kind === 'bridge')
    for (const p of Object.values(facts.observed[end.ns]?.links ?? {}))
      if (p.master === end.dev) out.push({ ns: end.ns, dev: p.name });
  if (l.kind === 'vxlan' && l.vxlan) {
    for (const [ns, state] of Object.entries(facts.observed))
      for (const other of Object.values(state.links))
        if (other.kind === 'vxlan' && other.vxlan?.vni === l.vxlan.vni && !(ns === end.ns && other.name === end.dev))
          out.push({ ns, dev: other.name });
  }
  out.push(...macvlanNeighbours(facts, end)); // a macvlan's parent, a parent's macvlans
  return out;
}

/** Whether the wiring beyond `start` (not back through `exclude`) reaches `target`. */
export function wiredTo(facts: LabFacts, start: KernelEnd, target: KernelEnd, exclude: KernelEnd): boolean {
  const seen = new Set([key(exclude), key(start)]);
  const queue = [start];
  while (queue.length > 0) {
    const e = queue.shift()!;
    if (key(e) === key(target)) return true;
    for (const n of neighboursOf(facts, e))
      if (!seen.has(key(n))) {
        seen.add(key(n));
        queue.push(n);
      }
  }
  return false;
}
