// macvlans in the walk's layer 2: a macvlan sends by its parent's wire, and frames arriving at the
// parent for a macvlan's MAC go to that macvlan. Between macvlans of one parent the mode decides:
// bridge delivers inside the kernel, private never, vepa only back through the outside switch (its
// port in hairpin mode). A macvlan never talks to its own parent.
import type { MacvlanMode, NamespaceState, WhyHop } from '@patchbay/topology';
import type { KernelEnd, LabFacts } from './facts.js';
import { whereOf } from './segment-words.js';
import type { Blocked } from './walk-types.js';

/** "ns/dev" (wiring.ts's key; not imported: wiring.ts imports this file). */
const key = (e: KernelEnd) => `${e.ns}/${e.dev}`;

export interface MacvlanEnd {
  end: KernelEnd;
  mode: MacvlanMode;
}

/**
 * The parent of a macvlan the kernel holds in its parent's own namespace (a shim made by hand, as
 * `ip link add shim link eth0 type macvlan`, is in no lab file): the kernel names it by ifindex.
 */
export function observedMacvlanParent(state: NamespaceState | undefined, dev: string): string | undefined {
  const mv = state?.links[dev]?.macvlan;
  if (!state || !mv || mv.parentElsewhere || mv.parentIfindex === undefined) return undefined;
  return Object.values(state.links).find((l) => l.ifindex === mv.parentIfindex)?.name;
}

/**
 * The parent of macvlan `end` (the lab's, as compiled; else the kernel's, for one made by hand in
 * its parent's namespace) and its mode (the kernel's, else the lab's).
 */
export function macvlanParentOf(facts: LabFacts, end: KernelEnd): { parent: KernelEnd; mode: MacvlanMode } | undefined {
  const seen = facts.link(end.ns, end.dev)?.macvlan;
  const want = facts.desired.namespaces[end.ns]?.links[end.dev]?.macvlan;
  if (want?.parentNs && want.parent)
    return { parent: { ns: want.parentNs, dev: want.parent }, mode: seen?.mode ?? want.mode };
  const parent = observedMacvlanParent(facts.observed[end.ns], end.dev);
  return parent && seen ? { parent: { ns: end.ns, dev: parent }, mode: seen.mode } : undefined;
}

/** The command that shows a macvlan's mode and parent (`macvlan mode bridge`, `eth0@if2`). */
const showLink = (e: KernelEnd) => `ip -n ${e.ns} -d link show ${e.dev}`;

/** The macvlans stacked on `parent`: the lab's, and those made by hand in the parent's namespace. */
export function macvlansOn(facts: LabFacts, parent: KernelEnd): MacvlanEnd[] {
  const out: MacvlanEnd[] = [];
  for (const [ns, state] of Object.entries(facts.desired.namespaces))
    for (const l of Object.values(state.links))
      if (l.macvlan?.parentNs === parent.ns && l.macvlan.parent === parent.dev) {
        const end = { ns, dev: l.name };
        out.push({ end, mode: facts.link(ns, l.name)?.macvlan?.mode ?? l.macvlan.mode });
      }
  const here = facts.observed[parent.ns];
  for (const l of Object.values(here?.links ?? {}))
    if (
      l.macvlan &&
      !out.some((m) => m.end.ns === parent.ns && m.end.dev === l.name) &&
      observedMacvlanParent(here, l.name) === parent.dev
    )
      out.push({ end: { ns: parent.ns, dev: l.name }, mode: l.macvlan.mode });
  return out;
}

/** The wiring of `end` through macvlans: its parent if it is one, its macvlans if it has some. */
export function macvlanNeighbours(facts: LabFacts, end: KernelEnd): KernelEnd[] {
  const parent = macvlanParentOf(facts, end)?.parent;
  return [...(parent ? [parent] : []), ...macvlansOn(facts, end).map((m) => m.end)];
}

/** What happens to a frame a macvlan sends: a hop to say, then blocked, arrived, or out of the parent. */
export interface MacvlanStep {
  hop?: WhyHop;
  blocked?: Blocked;
  arrive?: KernelEnd;
  parent?: KernelEnd;
}

/** The step of a frame sent by macvlan `from` towards `target` (undefined: not a macvlan of the lab). */
export function macvlanStep(
  facts: LabFacts,
  from: KernelEnd,
  target: KernelEnd | undefined,
  nextHop: string,
): MacvlanStep | undefined {
  const mv = macvlanParentOf(facts, from);
  if (!mv) return undefined;
  const node = facts.nodeAt(from.ns);
  const parentName = whereOf(facts, mv.parent);
  const blocked = (b: Omit<Blocked, 'reason'>): MacvlanStep => ({ blocked: { ...b, reason: 'no-neighbour' } });
  if (target && key(target) === key(mv.parent))
    return blocked({
      node,
      interface: from.dev,
      detail: `${nextHop} is on ${parentName}, the parent of macvlan ${from.dev}: a macvlan never talks to its own parent`,
      fix: `give ${facts.nodeAt(mv.parent.ns)} a macvlan of its own on ${mv.parent.dev} (a shim) and route to ${node} through it`,
    });
  const sibling = target ? macvlansOn(facts, mv.parent).find((m) => key(m.end) === key(target)) : undefined;
  const siblingName = sibling ? whereOf(facts, sibling.end) : '';
  if (sibling && mv.mode === 'bridge' && sibling.mode === 'bridge')
    return {
      hop: {
        node,
        out: from.dev,
        action: 'switch',
        detail: `macvlan bridge mode: ${siblingName} is on the same parent (${parentName}), so the kernel delivers the frame directly`,
        commands: [showLink(from), showLink(sibling.end)],
      },
      arrive: sibling.end,
    };
  if (sibling && (mv.mode === 'private' || sibling.mode === 'private'))
    return blocked({
      node,
      interface: from.dev,
      detail: `macvlan private mode: ${siblingName} shares the parent ${parentName}, and private macvlans never talk to each other`,
      fix: 'use mode bridge for both macvlans (ip link add … type macvlan mode bridge)',
    });
  if (sibling && mv.mode === 'vepa') {
    // Out of the parent, back in only if the switch port beyond it sends frames back (hairpin).
    const p = facts.link(mv.parent.ns, mv.parent.dev);
    const port = p?.veth ? { ns: p.peerNamespace ?? p.veth.peerNs, dev: p.veth.peerName } : undefined;
    const hop: WhyHop = {
      node,
      out: from.dev,
      action: 'switch',
      detail: `macvlan vepa mode: the frame for ${siblingName} leaves by ${parentName} and must come back from the switch${port ? ` (port ${port.dev})` : ''}`,
      commands: [showLink(from), ...(port ? [`bridge -n ${port.ns} -d link show dev ${port.dev}`] : [])],
    };
    if (port && facts.link(port.ns, port.dev)?.port?.hairpin === true) return { hop, arrive: sibling.end };
    return {
      hop,
      blocked: {
        node: port ? facts.nodeAt(port.ns) : node,
        interface: port?.dev ?? from.dev,
        reason: 'no-neighbour',
        detail: `the switch port ${port?.dev ?? 'beyond the parent'} is not in hairpin mode: it never sends a frame back where it came from`,
        fix: port
          ? `ip -n ${port.ns} link set dev ${port.dev} type bridge_slave hairpin on`
          : 'use mode bridge for both macvlans',
      },
    };
  }
  return {
    hop: {
      node,
      out: from.dev,
      action: 'switch',
      detail: `macvlan ${from.dev} sends by its parent ${parentName}`,
      commands: [showLink(from)],
    },
    parent: mv.parent,
  };
}

/** A sender's own interface `from` whose macvlan holds the target: it never gets there (the shim fix). */
export function parentToOwnMacvlan(
  facts: LabFacts,
  from: KernelEnd,
  target: KernelEnd | undefined,
  nextHop: string,
): Blocked | undefined {
  const own = target ? macvlansOn(facts, from).find((m) => key(m.end) === key(target)) : undefined;
  if (!own) return undefined;
  const node = facts.nodeAt(from.ns);
  return {
    node,
    interface: from.dev,
    reason: 'no-neighbour',
    detail: `${nextHop} is on macvlan ${whereOf(facts, own.end)}, stacked on ${from.dev} itself: a macvlan never talks to its own parent, so ${node} cannot reach it by ${from.dev}`,
    fix: `give ${node} a macvlan of its own on ${from.dev} (a shim) and route to ${nextHop} through it`,
  };
}

/** A frame arriving at parent `end` for one of its macvlans: passed to it. */
export function toMacvlanOf(
  facts: LabFacts,
  end: KernelEnd,
  target: KernelEnd | undefined,
): { hop: WhyHop; to: KernelEnd } | undefined {
  const child = target ? macvlansOn(facts, end).find((m) => key(m.end) === key(target)) : undefined;
  if (!child) return undefined;
  return {
    hop: {
      node: facts.nodeAt(end.ns),
      in: end.dev,
      action: 'switch',
      detail: `the frame is for macvlan ${whereOf(facts, child.end)} on ${end.dev}: passed to it`,
      commands: [showLink(child.end)],
    },
    to: child.end,
  };
}
