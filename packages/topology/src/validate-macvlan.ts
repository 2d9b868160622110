// Semantic checks of macvlans (LAB-FORMAT.md "macvlans") and bridge port settings ("bridgePort"):
// a macvlan's parent is an interface a link gives a host node, passthru takes its parent alone,
// port settings sit only on bridge ports, and anti-spoofing knows the MAC and addresses to allow.
import { isValidMac } from './addr.js';
import type { LinkEndSpec } from './model.js';
import { MACVLAN_MODES } from './model-macvlan.js';
import { type Ctx, arr, checkMtu, ifnameProblem, unknownNodeMessage } from './validate-context.js';

export function checkMacvlans(ctx: Ctx): void {
  const macvlans = arr(ctx.lab.macvlans);
  // The interfaces links give each host node: the only interfaces a macvlan may stack on.
  const hostEnds = new Map<string, Set<string>>();
  const endMac = new Map<string, unknown>(); // "node/interface" → the end's `mac`
  for (const link of arr(ctx.lab.links)) {
    for (const end of [link?.a, link?.b]) {
      if (!end || ctx.nodeMap.get(end.node)?.kind !== 'host') continue;
      let set = hostEnds.get(end.node);
      if (!set) hostEnds.set(end.node, (set = new Set()));
      set.add(end.interface);
      if (end.mac !== undefined) endMac.set(`${end.node}/${end.interface}`, end.mac);
    }
  }
  const perParent = new Map<string, number[]>();
  macvlans.forEach((m, i) => {
    const path = `macvlans[${i}]`;
    if (!m || typeof m !== 'object') return;
    const node = ctx.nodeMap.get(m.node);
    if (!node) {
      ctx.add(`${path}.node`, 'ref.unknown', unknownNodeMessage(ctx, m.node, 'a macvlan lives in a node of this lab'));
    } else if (node.kind === 'bridge') {
      ctx.add(
        `${path}.node`,
        'ref.kind',
        `${m.node} is a bridge; a macvlan lives in a host, netns or router node (a bridge has no namespace of its own)`,
      );
    }
    const ifProblem = ifnameProblem(m.interface);
    if (ifProblem) ctx.add(`${path}.interface`, 'iface.invalid', ifProblem);
    const label = `${m.node} macvlan ${m.interface}`;
    const ns = node && node.kind !== 'bridge' ? ctx.nsOf(m.node) : undefined;
    if (ns && !ifProblem) ctx.addIface(ns, m.interface, { path: `${path}.interface`, label });
    arr(m.addresses).forEach((a, k) => ctx.addAddress(ns, m.interface, a, { path: `${path}.addresses[${k}]`, label }));
    checkMtu(ctx, `${path}.mtu`, m.mtu);
    if (m.mac !== undefined && (typeof m.mac !== 'string' || !isValidMac(m.mac)))
      ctx.add(`${path}.mac`, 'mac.invalid', `${String(m.mac)} is not a unicast MAC address such as 02:00:00:00:00:01`);
    if (m.mode !== undefined && !MACVLAN_MODES.includes(m.mode))
      ctx.add(`${path}.mode`, 'macvlan.mode', `mode must be one of ${MACVLAN_MODES.join(', ')}`);

    const parent = m.parent;
    if (!parent || typeof parent !== 'object') return;
    const parentNode = ctx.nodeMap.get(parent.node);
    if (!parentNode) {
      ctx.add(
        `${path}.parent.node`,
        'ref.unknown',
        unknownNodeMessage(ctx, parent.node, "a macvlan's parent is an interface of a host node"),
      );
      return;
    }
    if (parentNode.kind !== 'host') {
      ctx.add(
        `${path}.parent.node`,
        'macvlan.parent-kind',
        `${parent.node} is a ${parentNode.kind}; a macvlan's parent must be an interface of a host node (the machine whose NIC the containers share)`,
      );
      return;
    }
    const ends = hostEnds.get(parent.node) ?? new Set<string>();
    if (!ends.has(parent.interface)) {
      const known = [...ends].sort();
      ctx.add(
        `${path}.parent.interface`,
        'macvlan.parent-unknown',
        `${parent.node} has no interface ${String(parent.interface)} made by a link; a macvlan stacks on one (${known.length ? `${parent.node} has ${known.join(', ')}` : `${parent.node} has no links yet`})`,
      );
      return;
    }
    if (m.node === parent.node && m.interface === parent.interface) {
      ctx.add(`${path}.interface`, 'iface.duplicate', `a macvlan cannot be named as its own parent (${m.interface})`);
    }
    const key = `${parent.node}/${parent.interface}`;
    perParent.set(key, [...(perParent.get(key) ?? []), i]);
    // passthru: the kernel gives the macvlan and its parent one MAC (setting either sets both), so
    // two different MACs could never both hold (each apply would set one back).
    const parentMac = endMac.get(key);
    if (
      m.mode === 'passthru' &&
      typeof m.mac === 'string' &&
      typeof parentMac === 'string' &&
      m.mac.toLowerCase() !== parentMac.toLowerCase()
    ) {
      ctx.add(
        `${path}.mac`,
        'macvlan.passthru-mac',
        `a passthru macvlan shares its parent's MAC, but ${parent.node} ${parent.interface} has mac ${parentMac}; give the same MAC to both, or leave this one out`,
      );
    }
  });
  for (const [key, indexes] of perParent) {
    if (indexes.length < 2) continue;
    for (const i of indexes) {
      if (macvlans[i]!.mode !== 'passthru') continue;
      ctx.add(
        `macvlans[${i}].mode`,
        'macvlan.passthru',
        `passthru gives the whole of ${key.replace('/', ' ')} to one macvlan, but ${indexes.length} macvlans use it; use bridge (or another mode) for all of them, or keep one`,
      );
    }
  }
}

/** `bridgePort` only on bridge ports; anti-spoofing needs the far end's MAC and addresses. */
export function checkBridgePorts(ctx: Ctx): void {
  arr(ctx.lab.links).forEach((link, i) => {
    if (!link) return;
    for (const [side, other] of [
      ['a', 'b'],
      ['b', 'a'],
    ] as const) {
      const end: LinkEndSpec | undefined = link[side];
      const far: LinkEndSpec | undefined = link[other];
      if (!end?.bridgePort) continue;
      const path = `links[${i}].${side}.bridgePort`;
      const node = ctx.nodeMap.get(end.node);
      if (node && node.kind !== 'bridge') {
        ctx.add(
          path,
          'bridgeport.not-bridge',
          `${end.node} is a ${node.kind}; bridgePort (hairpin, learning, flood, isolated, antiSpoof) belongs on a link end whose node is a bridge`,
        );
        continue;
      }
      if (end.bridgePort.antiSpoof !== true || !far) continue;
      if (far.mac === undefined)
        ctx.add(
          `${path}.antiSpoof`,
          'bridgeport.antispoof-mac',
          `anti-spoofing allows only the MAC of ${far.node} ${far.interface}, so that end needs a mac (links[${i}].${other}.mac)`,
        );
      if (arr(far.addresses).length === 0)
        ctx.add(
          `${path}.antiSpoof`,
          'bridgeport.antispoof-address',
          `anti-spoofing allows only the addresses of ${far.node} ${far.interface}, so that end needs at least one address`,
        );
    }
  });
}
