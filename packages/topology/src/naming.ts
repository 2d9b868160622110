// Deterministic kernel names for lab objects. Every namespace a lab owns is named
// `<prefix><lab>.<node>` (a lab's implicit bridge host: `<prefix><lab>._host`): the dot cannot occur
// in lab or node names, so the split is unambiguous. Interface names are the user's own, except
// bridges and VXLAN devices, whose lab names may be longer than the kernel's 15 characters.

export const DEFAULT_PREFIX = 'pb-';
export const NAME_RE = /^[a-z][a-z0-9-]{0,23}$/;
export const IFNAME_RE = /^[A-Za-z0-9_.-]{1,15}$/;
export const PREFIX_RE = /^[a-z][a-z0-9-]{0,15}$/;
export const IMPLICIT_HOST = '_host';
export const IFNAMSIZ = 15;

export function namespaceName(prefix: string, lab: string, node: string): string {
  return `${prefix}${lab}.${node}`;
}

export function implicitHostNamespace(prefix: string, lab: string): string {
  return namespaceName(prefix, lab, IMPLICIT_HOST);
}

/** Splits a namespace name made by `namespaceName`; undefined if it is not one of `prefix`'s. */
export function parseNamespaceName(prefix: string, ns: string): { lab: string; node: string } | undefined {
  if (!ns.startsWith(prefix)) return undefined;
  const rest = ns.slice(prefix.length);
  const dot = rest.indexOf('.');
  if (dot < 0) return undefined;
  const lab = rest.slice(0, dot);
  const node = rest.slice(dot + 1);
  if (!NAME_RE.test(lab)) return undefined;
  if (node !== IMPLICIT_HOST && !NAME_RE.test(node)) return undefined;
  return { lab, node };
}

/**
 * The ownership marker written as the ifalias of `lo` in every namespace a lab owns. Names alone
 * cannot separate prefixes where one is the start of another (`pb-` and `pb-t-`), the marker can.
 */
export function ownershipMarker(prefix: string, lab: string, node: string): string {
  return `patchbay:v1:${prefix}:${lab}:${node}`;
}

export function parseOwnershipMarker(
  alias: string | undefined,
): { prefix: string; lab: string; node: string } | undefined {
  if (!alias) return undefined;
  const parts = alias.split(':');
  if (parts.length !== 5 || parts[0] !== 'patchbay' || parts[1] !== 'v1') return undefined;
  return { prefix: parts[2]!, lab: parts[3]!, node: parts[4]! };
}

/** FNV-1a, 32 bit: a stable short hash for shortened names. */
export function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36).padStart(7, '0').slice(-4);
}

/** A lab name (bridge or overlay) as a kernel interface name: itself if it fits, else shortened + hash. */
export function deviceName(labName: string): string {
  if (labName.length <= IFNAMSIZ) return labName;
  return `${labName.slice(0, IFNAMSIZ - 5)}-${shortHash(labName)}`;
}
