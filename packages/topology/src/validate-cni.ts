// Semantic checks of CNI attachments (LAB-FORMAT.md "cni"): the plugin runs in a host node, the
// interface it makes is unique in the container, the IPAM pool is a network with its gateway and
// range inside it, each plugin gets only its own fields (macvlan's master is a link end on the
// host), one network name means one pool, and the host keeps the forwarding the plugin turns on.
import { cidrContains, formatIPv4, isNetworkCidr, parseCidr, parseIPv4 } from './addr.js';
import { CNI_DEFAULT_BRIDGE, CNI_PLUGINS, type CniSpec } from './model-cni.js';
import { type Ctx, arr, ifnameProblem, unknownNodeMessage } from './validate-context.js';

const BRIDGE_ONLY = ['bridge', 'isGateway', 'hairpinMode'] as const;
const MACVLAN_ONLY = ['master', 'mode'] as const;

/** What one network name must mean everywhere it is used (one host-local pool). */
const poolOf = (c: CniSpec): string => JSON.stringify([c.subnet, c.gateway, c.rangeStart, c.rangeEnd]);

export function checkCni(ctx: Ctx): void {
  const hostEnds = new Map<string, Set<string>>();
  for (const link of arr(ctx.lab.links)) {
    for (const end of [link?.a, link?.b]) {
      if (!end || ctx.nodeMap.get(end.node)?.kind !== 'host') continue;
      let set = hostEnds.get(end.node);
      if (!set) hostEnds.set(end.node, (set = new Set()));
      set.add(end.interface);
    }
  }
  const networks = new Map<string, { pool: string; path: string }>();
  const bridges = new Set<string>();
  for (const [name, node] of ctx.nodes) {
    if (node.kind === 'bridge') continue;
    arr(node.cni).forEach((c, i) => {
      const path = `nodes.${name}.cni[${i}]`;
      if (!c || typeof c !== 'object') return;
      checkOne(ctx, name, c, path, hostEnds);
      const seen = networks.get(c.network);
      if (seen && seen.pool !== poolOf(c))
        ctx.add(
          `${path}.subnet`,
          'cni.network-mismatch',
          `network ${c.network} is used at ${seen.path} with another pool; one network name is one host-local address pool (same subnet, gateway and range everywhere)`,
        );
      else if (!seen) networks.set(c.network, { pool: poolOf(c), path });
      // The bridge plugin's bridge is an interface of the host (made once, shared by its attachments).
      const host = ctx.nodeMap.get(c.host);
      if (c.plugin === 'bridge' && host?.kind === 'host') {
        const br = c.bridge ?? CNI_DEFAULT_BRIDGE;
        const key = `${c.host}/${br}`;
        if (!bridges.has(key)) {
          bridges.add(key);
          const ns = ctx.nsOf(c.host);
          if (ns) ctx.addIface(ns, br, { path: `${path}.bridge`, label: `the ${c.network} bridge plugin's bridge` });
        }
      }
    });
  }
}

function checkOne(ctx: Ctx, node: string, c: CniSpec, path: string, hostEnds: Map<string, Set<string>>): void {
  const ifProblem = ifnameProblem(c.interface);
  if (ifProblem) ctx.add(`${path}.interface`, 'iface.invalid', ifProblem);
  else {
    const ns = ctx.nsOf(node);
    if (ns)
      ctx.addIface(ns, c.interface, { path: `${path}.interface`, label: `${node}'s CNI interface ${c.interface}` });
  }
  if (!CNI_PLUGINS.includes(c.plugin))
    ctx.add(`${path}.plugin`, 'cni.plugin', `plugin must be one of ${CNI_PLUGINS.join(', ')}`);

  const host = ctx.nodeMap.get(c.host);
  if (!host) {
    ctx.add(
      `${path}.host`,
      'ref.unknown',
      unknownNodeMessage(ctx, c.host, 'the plugin runs in a host node of this lab'),
    );
  } else if (c.host === node) {
    ctx.add(
      `${path}.host`,
      'cni.host-self',
      `${node} cannot host its own CNI attachment: the plugin runs in another node (a host) and puts the interface into ${node}`,
    );
  } else if (host.kind !== 'host') {
    ctx.add(
      `${path}.host`,
      'cni.host-kind',
      `${c.host} is a ${host.kind}; the plugin runs in a host node (its bridge or veth ends live there)`,
    );
  } else if (host.forwarding === false && (c.plugin === 'ptp' || (c.plugin === 'bridge' && c.isGateway !== false))) {
    ctx.add(
      `nodes.${c.host}.forwarding`,
      'cni.forwarding',
      `the ${c.plugin} plugin turns IPv4 forwarding on in ${c.host} (${path}); forwarding: false would undo it on every apply`,
    );
  }

  const pool = typeof c.subnet === 'string' ? parseCidr(c.subnet) : undefined;
  if (!pool) ctx.add(`${path}.subnet`, 'addr.invalid', `${String(c.subnet)} is not an IPv4 network in CIDR form`);
  else if (!isNetworkCidr(pool))
    ctx.add(
      `${path}.subnet`,
      'cni.subnet',
      `${c.subnet} has host bits set; the pool is a network, e.g. ${formatIPv4(pool.addr & (pool.len === 0 ? 0 : (~0 << (32 - pool.len)) >>> 0))}/${pool.len}`,
    );
  else if (pool.len > 30)
    ctx.add(
      `${path}.subnet`,
      'cni.subnet',
      `${c.subnet} is too small: a pool needs a gateway and at least one address (/30 at most)`,
    );
  for (const field of ['gateway', 'rangeStart', 'rangeEnd'] as const) {
    const v = c[field];
    if (v === undefined) continue;
    if (typeof v !== 'string' || parseIPv4(v) === undefined)
      ctx.add(`${path}.${field}`, 'addr.invalid', `${String(v)} is not an IPv4 address`);
    else if (pool && !cidrContains(pool, v))
      ctx.add(`${path}.${field}`, 'cni.range', `${v} is outside the pool ${c.subnet}`);
  }
  if (c.rangeStart && c.rangeEnd) {
    const a = parseIPv4(c.rangeStart);
    const b = parseIPv4(c.rangeEnd);
    if (a !== undefined && b !== undefined && a > b)
      ctx.add(`${path}.rangeEnd`, 'cni.range', `rangeEnd ${c.rangeEnd} comes before rangeStart ${c.rangeStart}`);
  }
  arr(c.routes).forEach((r, k) => {
    if (typeof r !== 'string' || !parseCidr(r) || !isNetworkCidr(r))
      ctx.add(`${path}.routes[${k}]`, 'cni.route', `${String(r)} is not a destination network such as 0.0.0.0/0`);
  });

  const foreign =
    c.plugin === 'bridge' ? MACVLAN_ONLY : c.plugin === 'macvlan' ? BRIDGE_ONLY : [...BRIDGE_ONLY, ...MACVLAN_ONLY];
  for (const field of foreign)
    if (c[field] !== undefined)
      ctx.add(
        `${path}.${field}`,
        'cni.field',
        `${field} is a setting of the ${BRIDGE_ONLY.includes(field as never) ? 'bridge' : 'macvlan'} plugin, not of ${c.plugin}`,
      );
  if (c.plugin === 'macvlan') {
    if (c.master === undefined)
      ctx.add(
        `${path}.master`,
        'cni.master',
        `the macvlan plugin needs master: an interface of ${c.host} made by a link`,
      );
    else if (host?.kind === 'host' && !hostEnds.get(c.host)?.has(c.master))
      ctx.add(
        `${path}.master`,
        'cni.master',
        `${c.host} has no interface ${c.master}; master is an interface a link gives ${c.host} (${[...(hostEnds.get(c.host) ?? [])].join(', ') || 'it has none'})`,
      );
  }
}
