// Whose namespace is this? A lab's namespaces carry a marker (the alias of their `lo`,
// `patchbay:v1:PREFIX:LAB:NODE`, topology's ownershipMarker); destroy and recovery remove only ours.
import type { KernelState } from '@patchbay/topology';

/** Whether namespace `ns`, as observed in `seen`, belongs to lab `lab` of engine prefix `prefix`. */
export function isOurs(seen: KernelState, ns: string, prefix: string, lab: string): boolean {
  const alias = seen.namespaces[ns]?.links.lo?.alias ?? '';
  const parts = alias.split(':');
  if (!alias) return true; // unmarked: half-made by a crashed apply of this lab name
  return parts[0] === 'patchbay' && parts[2] === prefix && parts[3] === lab;
}
