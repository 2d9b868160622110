// A macvlan's edge id and the lab with a new macvlan list: shared by lab-edit (which removes and
// renames macvlans with their nodes and links) and macvlan-edit.
import type { Lab, MacvlanSpec } from '@patchbay/topology';

/** The edge id of a macvlan: its node and interface (unique: one name per namespace). */
export const macvlanId = (m: Pick<MacvlanSpec, 'node' | 'interface'>): string => `macvlan:${m.node}:${m.interface}`;
export const isMacvlanId = (id: string): boolean => id.startsWith('macvlan:');

/** `lab` with these macvlans; the field is left out when there are none (the YAML stays as it was). */
export function withMacvlans(lab: Lab, macvlans: MacvlanSpec[] | undefined): Lab {
  const { macvlans: _old, ...rest } = lab;
  return macvlans?.length ? { ...rest, macvlans } : rest;
}
