// Where a problem is, in the words of the lab rather than of the file: `links[4].a.addresses[0]`
// is "ns4 eth0 address 1", `nodes.r1.routes[0]` is "r1 route 1". The path stays the exact place
// (shown in a tooltip, used to select and focus the field).
import type { Lab } from '@patchbay/topology';

const ORDINAL_FIELDS: Record<string, string> = {
  addresses: 'address',
  routes: 'route',
  nat: 'NAT rule',
  portForwards: 'port forward',
  members: 'member',
  tagged: 'tagged VLAN',
};

/** The rest of a path after the thing it names: `addresses[0]` → "address 1", `mtu` → "mtu". */
function describeRest(rest: string): string {
  return rest
    .split('.')
    .filter(Boolean)
    .map((part) => {
      const m = /^([A-Za-z]+)\[(\d+)\]$/.exec(part);
      if (!m) return part;
      const field = m[1]!;
      return `${ORDINAL_FIELDS[field] ?? field} ${Number(m[2]) + 1}`;
    })
    .join(' ');
}

/** A lab path as the kernel-ish name of what it points to; the path itself when it names nothing known. */
export function problemPlace(lab: Lab, path: string): string {
  if (path === '') return 'the lab';
  const link = /^links\[(\d+)\](?:\.([ab]))?(?:\.(.*))?$/.exec(path);
  if (link) {
    const spec = Array.isArray(lab.links) ? lab.links[Number(link[1])] : undefined;
    if (!spec?.a || !spec.b) return path;
    const rest = describeRest(link[3] ?? '');
    const side = link[2] as 'a' | 'b' | undefined;
    const what = side
      ? `${spec[side].node} ${spec[side].interface}`
      : `link ${spec.a.node} ${spec.a.interface} – ${spec.b.node} ${spec.b.interface}`;
    return rest ? `${what} ${rest}` : what;
  }
  const node = /^nodes\.([^.[]+)(?:\.(.*))?$/.exec(path);
  if (node) {
    const name = node[1]!;
    if (!lab.nodes || !Object.hasOwn(lab.nodes, name)) return path;
    const rest = describeRest(node[2] ?? '');
    return rest ? `${name} ${rest}` : name;
  }
  const overlay = /^overlays\[(\d+)\](?:\.(.*))?$/.exec(path);
  if (overlay) {
    const spec = lab.overlays?.[Number(overlay[1])];
    if (!spec) return path;
    const what = `overlay ${spec.name || Number(overlay[1]) + 1}`;
    const rest = describeRest(overlay[2] ?? '');
    return rest ? `${what} ${rest}` : what;
  }
  return path;
}
