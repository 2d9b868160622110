// macvlans in the walk's layer 2: a macvlan sends by its parent's wire, and frames arriving at the
// parent for a macvlan's MAC go to that macvlan. Between macvlans of one parent the mode decides:
// bridge delivers inside the kernel, private never, vepa only back through the outside switch (its
// port in hairpin mode). A macvlan never talks to its own parent.
import type { MacvlanMode } from '@patchbay/topology';
import type { KernelEnd, LabFacts } from './facts.js';

export interface MacvlanEnd {
  end: KernelEnd;
  mode: MacvlanMode;
}

/** The parent of macvlan `end` (the lab's, as compiled) and its mode (the kernel's, else the lab's). */
export function macvlanParentOf(facts: LabFacts, end: KernelEnd): { parent: KernelEnd; mode: MacvlanMode } | undefined {
  const want = facts.desired.namespaces[end.ns]?.links[end.dev]?.macvlan;
  if (!want?.parentNs || !want.parent) return undefined;
  const mode = facts.link(end.ns, end.dev)?.macvlan?.mode ?? want.mode;
  return { parent: { ns: want.parentNs, dev: want.parent }, mode };
}

/** The macvlans stacked on `parent`. */
export function macvlansOn(facts: LabFacts, parent: KernelEnd): MacvlanEnd[] {
  const out: MacvlanEnd[] = [];
  for (const [ns, state] of Object.entries(facts.desired.namespaces))
    for (const l of Object.values(state.links))
      if (l.macvlan?.parentNs === parent.ns && l.macvlan.parent === parent.dev) {
        const end = { ns, dev: l.name };
        out.push({ end, mode: facts.link(ns, l.name)?.macvlan?.mode ?? l.macvlan.mode });
      }
  return out;
}

/** The wiring of `end` through macvlans: its parent if it is one, its macvlans if it has some. */
export function macvlanNeighbours(facts: LabFacts, end: KernelEnd): KernelEnd[] {
  const parent = macvlanParentOf(facts, end)?.parent;
  return [...(parent ? [parent] : []), ...macvlansOn(facts, end).map((m) => m.end)];
}
