// diff and plan helpers for macvlans and bridge port flags. A macvlan cannot change its mode or its
// parent in place (the kernel fixes both at creation), so either change re-creates it; port flags
// change in place, one `ip link set dev PORT type bridge_slave FLAG on|off` each.
import { DEFAULT_PORT_FLAGS, PORT_FLAG_NAMES, type PortFlags } from './model-macvlan.js';
import type { KernelState, LinkState } from './state.js';

/** Whether an existing macvlan `o` must be deleted and made again to become `d`. */
export function macvlanMustRecreate(ns: string, d: LinkState, o: LinkState, observed: KernelState): boolean {
  if (!d.macvlan || !o.macvlan) return false;
  if (d.macvlan.mode !== o.macvlan.mode) return true;
  // The parent, as far as the kernel says: its ifindex in the namespace it lives in. Unknown (a
  // namespace not read, a parent not there yet): not a reason to re-create.
  const parent = observed.namespaces[d.macvlan.parentNs ?? '']?.links[d.macvlan.parent ?? ''];
  if (parent?.ifindex === undefined || o.macvlan.parentIfindex === undefined) return false;
  const elsewhere = d.macvlan.parentNs !== ns;
  return parent.ifindex !== o.macvlan.parentIfindex || elsewhere !== !!o.macvlan.parentElsewhere;
}

/** The flags of `o` (a port now, or about to become one: the kernel's defaults) that differ from `d`. */
export function portFlagChanges(d: PortFlags, o: PortFlags | undefined): (keyof PortFlags)[] {
  const have = o ?? DEFAULT_PORT_FLAGS;
  return PORT_FLAG_NAMES.filter((f) => d[f] !== have[f]);
}

/** `type bridge_slave hairpin on learning off …` for the flags that change. */
export function portFlagArgs(d: PortFlags, o: PortFlags | undefined): string[] {
  return ['type', 'bridge_slave', ...portFlagChanges(d, o).flatMap((f) => [f, d[f] ? 'on' : 'off'])];
}

/** The `ip link add` line of a macvlan, run in its parent's namespace and placed in its own. */
export function macvlanCreateArgs(ns: string, l: LinkState): string[] {
  const m = l.macvlan!;
  return [
    'link',
    'add',
    'link',
    m.parent!,
    'name',
    l.name,
    ...(m.parentNs !== ns ? ['netns', ns] : []),
    'type',
    'macvlan',
    'mode',
    m.mode,
  ];
}

/**
 * Names each observed macvlan's parent (`parentNs`, `parent`) from the kernel's ifindex: in its own
 * namespace when the parent is there, else the one link of the other namespaces with that
 * ifindex (a lab's veths have ifindexes unique in the lab: see diff's LINK_INDEX_BASE). Left
 * unnamed when that is not one link. A rollback re-creates a macvlan from these names.
 */
export function resolveMacvlanParents(state: KernelState): void {
  // plain loops: every apply walks every link of the lab here, and few labs have a macvlan
  for (const ns in state.namespaces) {
    const links = state.namespaces[ns]!.links;
    for (const name in links) {
      const l = links[name]!;
      const m = l.macvlan;
      if (l.kind !== 'macvlan' || !m || m.parent || m.parentIfindex === undefined) continue;
      const candidates = Object.entries(state.namespaces).flatMap(([other, o]) =>
        (m.parentElsewhere ? other !== ns : other === ns)
          ? Object.values(o.links)
              .filter((p) => p.ifindex === m.parentIfindex && p.kind !== 'loopback')
              .map((p) => ({ ns: other, name: p.name }))
          : [],
      );
      if (candidates.length === 1) {
        m.parentNs = candidates[0]!.ns;
        m.parent = candidates[0]!.name;
      }
    }
  }
}
