// Why a node's kernel refused to route a packet, told from what it answered and the node's own
// settings: `ip route get`'s errno alone is ambiguous ("No route to host" is both a router with
// forwarding off and an unreachable route; "Invalid argument" both rp_filter and a blackhole), so
// the routes that cover the destination, forwarding and rp_filter are read before naming a reason.
import { routesMatching, type RouteAnswer } from '@patchbay/kernel';
import { cidrContains } from '@patchbay/topology';
import type { LabFacts } from './facts.js';
import type { Blocked, Packet } from './walk-types.js';

const DROPPING_TYPES: Record<string, string> = {
  blackhole: 'silently discards it',
  unreachable: 'discards it and answers "host unreachable"',
  prohibit: 'discards it and answers "administratively prohibited"',
  throw: 'ends the lookup in this table without a match',
};

/** The node's interfaces with their IPv4 addresses (CIDR), in kernel terms. */
function addressesOf(facts: LabFacts, ns: string): { dev: string; cidr: string }[] {
  return Object.values(facts.observed[ns]?.links ?? {}).flatMap((l) =>
    l.addresses.map((cidr) => ({ dev: l.name, cidr })),
  );
}

/** A gateway a node without a route could use: a forwarding node's address on one of its subnets. */
function likelyGateway(facts: LabFacts, ns: string): string | undefined {
  for (const { cidr } of addressesOf(facts, ns)) {
    if (cidr.endsWith('/32')) continue;
    for (const [otherNs, state] of Object.entries(facts.observed)) {
      if (otherNs === ns) continue;
      // A node that forwards (as the kernel says: the observed net.ipv4.ip_forward).
      if (state.sysctls['net.ipv4.ip_forward'] !== '1') continue;
      for (const l of Object.values(state.links))
        for (const a of l.name === 'lo' ? [] : l.addresses) {
          const ip = a.split('/')[0]!;
          if (cidrContains(cidr, ip)) return ip;
        }
    }
  }
  return undefined;
}

/** A packet the kernel would not route at `ns` (its error answer), explained. */
export async function routeRefused(
  facts: LabFacts,
  ns: string,
  iif: string | undefined,
  p: Packet,
  error: string,
  command: string,
): Promise<Blocked> {
  const node = facts.l3Node(ns, iif);
  const pf = await facts.pathFacts(ns);
  const commands = [command];
  // Loopback: a fresh namespace's lo is down, and with it 127.0.0.0/8's local routes are gone.
  if (p.dst.startsWith('127.') && !pf.links['lo']?.flags.includes('UP'))
    return {
      node,
      interface: 'lo',
      side: 'out',
      reason: 'link-down',
      detail: `${node}'s loopback interface lo is down, so ${node} has no local route for ${p.dst} (the kernel answers "${error}")`,
      fix: `bring lo up: ip -n ${ns} link set lo up`,
      commands: [...commands, `ip -n ${ns} link show lo`],
    };
  // An interface taken down takes its connected routes with it: the subnet is still on the interface.
  const downOn = addressesOf(facts, ns).find(
    (a) => a.dev !== 'lo' && cidrContains(a.cidr, p.dst) && !pf.links[a.dev]?.flags.includes('UP'),
  );
  if (downOn)
    return {
      node,
      interface: downOn.dev,
      side: 'out',
      reason: 'link-down',
      detail: `${p.dst} is on ${node}'s subnet ${downOn.cidr} of ${downOn.dev}, but ${downOn.dev} is administratively down, and its connected route went with it (the kernel answers "${error}")`,
      fix: `bring ${downOn.dev} up: ip -n ${ns} link set ${downOn.dev} up (in the lab file: no up: false on ${node}'s ${downOn.dev})`,
      commands: [...commands, `ip -n ${ns} link show ${downOn.dev}`],
    };
  const matching = await routesMatching(ns, p.dst);
  commands.push(`ip -n ${ns} route show table all match ${p.dst}`);
  const first = matching.find((r) => r.type !== 'broadcast');
  if (first && DROPPING_TYPES[first.type])
    return {
      node,
      interface: iif,
      reason: 'no-route',
      detail: `${node}'s route for ${p.dst} is \`${first.type} ${first.dst}\`${first.table !== 'main' ? ` (table ${first.table})` : ''}: the kernel ${DROPPING_TYPES[first.type]} (it answers "${error}")`,
      fix: `delete that route (ip -n ${ns} route del ${first.type} ${first.dst}${first.table !== 'main' ? ` table ${first.table}` : ''}) and route ${p.dst} through a next hop`,
      commands,
    };
  const local = facts.ownersOf(p.dst).some((o) => o.ns === ns);
  const conf = pf.netconf[iif ?? ''] ?? pf.netconf['all'];
  if (iif && !local && (conf ? !conf.forwarding : false))
    return {
      node,
      interface: iif,
      reason: 'forwarding-off',
      detail: `${node} does not forward packets (net.ipv4.ip_forward = 0): a packet for ${p.dst} that came in on ${iif} is not its own, and it drops it (the kernel answers "${error}")`,
      fix: `set forwarding: true on ${node} in the lab file (or: ip netns exec ${ns} sysctl -w net.ipv4.ip_forward=1)`,
      commands: [...commands, `ip -n ${ns} netconf show dev ${iif}`],
    };
  const rp = [pf.netconf[iif ?? '']?.rpFilter, pf.netconf['all']?.rpFilter].filter((x) => x && x !== 'off');
  if (iif && rp.length > 0 && /invalid|cross-device/i.test(error)) {
    const back = await facts.route(ns, { dst: p.src });
    const via = back.ok ? back.dev : undefined;
    return {
      node,
      interface: iif,
      reason: 'rp-filter',
      detail: `${node}'s reverse-path filter (rp_filter ${rp.join('/')}) drops it: the packet from ${p.src} came in on ${iif}, but ${node}'s route back to ${p.src} ${via ? `leaves by ${via}` : 'does not exist'} (the kernel answers "${error}")`,
      fix: `route ${p.src} back through ${iif} on ${node} (ip -n ${ns} route replace ${p.src} via …  dev ${iif}), or make the filter loose: ip netns exec ${ns} sysctl -w net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.${iif}.rp_filter=2`,
      commands: [...commands, back.command, `ip -n ${ns} netconf show dev ${iif}`],
    };
  }
  // No route at all: say why the connected route is missing when an address explains it.
  const own = addressesOf(facts, ns).filter((a) => a.dev !== 'lo');
  const host32 = own.find((a) => a.cidr.endsWith('/32'));
  const downs = Object.values(pf.links)
    .filter((l) => l.name !== 'lo' && !l.flags.includes('UP'))
    .map((l) => l.name);
  const firstDev = Object.keys(pf.links).find((d) => d !== 'lo') ?? 'eth0';
  const gw = likelyGateway(facts, ns);
  // The prefix length the /32 should have had: the destination's own, when the /32 is in its subnet.
  const owner = facts.ownerOf(p.dst);
  const ownerCidr = owner && facts.link(owner.ns, owner.dev)?.addresses.find((a) => a.split('/')[0] === p.dst);
  const wanted =
    host32 && ownerCidr && cidrContains(ownerCidr, host32.cidr.split('/')[0]!) ? ownerCidr.split('/')[1] : undefined;
  const hint = host32
    ? `; ${node}'s ${host32.dev} has ${host32.cidr}: a /32 address brings no connected route for its subnet`
    : own.length === 0
      ? `; ${node} has no IPv4 address on any interface${downs.length ? ` (and ${downs.join(', ')} ${downs.length > 1 ? 'are' : 'is'} down)` : ''}`
      : '';
  return {
    node,
    interface: iif,
    reason: 'no-route',
    detail: `${node} has no route to ${p.dst} (no connected subnet covers it and there is no default route): the kernel answers "${error}"${hint}`,
    fix:
      own.length === 0
        ? `give ${node} an address on its link and bring the interface up (ip -n ${ns} addr add ADDRESS/PREFIX dev ${firstDev}; ip -n ${ns} link set ${firstDev} up)`
        : host32
          ? `give ${host32.dev} its subnet's prefix length${wanted ? ` (/${wanted}, as ${p.dst} has)` : ''}: ip -n ${ns} addr del ${host32.cidr} dev ${host32.dev}; ip -n ${ns} addr add ${host32.cidr.split('/')[0]}/${wanted ?? 'PREFIX'} dev ${host32.dev} — or add a route for ${p.dst}`
          : `add a route for ${p.dst} on ${node}, or a default route: routes: [{ to: default, via: ${gw ?? 'GATEWAY'} }] in the lab file (ip -n ${ns} route add default via ${gw ?? 'GATEWAY'})`,
    commands,
  };
}

/** A route the kernel did pick, but not one that sends the packet anywhere (broadcast, multicast…). */
export function unicastRefused(
  facts: LabFacts,
  ns: string,
  iif: string | undefined,
  p: Packet,
  answer: Extract<RouteAnswer, { ok: true }>,
): Blocked {
  const node = facts.l3Node(ns, iif);
  return {
    node,
    interface: iif,
    reason: 'no-route',
    detail: `${node}'s route for ${p.dst} is of type ${answer.type}${answer.dev ? '' : ' with no interface'}: the kernel does not send the packet on`,
    fix: `replace the ${answer.type} route for ${p.dst} on ${node} with a unicast one (ip -n ${ns} route replace ${p.dst} via NEXT-HOP)`,
    commands: [answer.command],
  };
}
