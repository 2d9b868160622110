// plan: a diff → the ordered kernel operations that carry it out. Pure and deterministic: operations
// are sorted by phase, then namespace, keeping the order the diff gave within one namespace.
import type { Change, Diff } from './diff.js';
import { ebtablesRestoreText } from './compile-ebtables.js';
import { iptablesChange } from './iptables.js';
import { macvlanCreateArgs, portFlagArgs } from './macvlan.js';
import { PHASES, type Op, type Phase, type Plan } from './plan-types.js';
import type { LinkState, RouteState } from './state.js';

/** `net.ipv4.conf.eth0.1.proxy_arp` is ambiguous with dots; sysctl takes the slash form literally. */
export function sysctlPath(key: string): string {
  const m = /^net\.ipv4\.conf\.(.+)\.([a-z_]+)$/.exec(key);
  if (m) return `net/ipv4/conf/${m[1]}/${m[2]}`;
  return key.replace(/\./g, '/');
}

function routeArgs(verb: 'add' | 'replace' | 'del', r: RouteState): string[] {
  const args = ['route', verb, r.to];
  if (verb === 'del') return args;
  if (r.via !== undefined) args.push('via', r.via);
  if (r.dev !== undefined) args.push('dev', r.dev);
  if (r.via === undefined) args.push('scope', 'link');
  return args;
}
const routeText = (r: RouteState) => `${r.to}${r.via ? ` via ${r.via}` : ''}${r.dev ? ` dev ${r.dev}` : ''}`;

function linkCreateArgs(l: LinkState, index?: number, peerIndex?: number): string[] {
  // mtu and mac are set by `configure`, on both ends of a veth alike (see freshLink).
  const args = ['link', 'add', l.name, ...(index ? ['index', String(index)] : [])];
  if (l.kind === 'bridge') {
    args.push('type', 'bridge');
    if (l.bridge?.stp) args.push('stp_state', '1');
    if (l.bridge?.vlanFiltering) args.push('vlan_filtering', '1');
  } else if (l.kind === 'veth') {
    args.push(
      'type',
      'veth',
      'peer',
      ...(peerIndex ? ['index', String(peerIndex)] : []),
      'name',
      l.veth!.peerName,
      'netns',
      l.veth!.peerNs,
    );
  } else if (l.kind === 'vxlan') {
    const v = l.vxlan!;
    args.push('type', 'vxlan', 'id', String(v.vni), 'local', v.local, 'dstport', String(v.port));
    if (v.dev) args.push('dev', v.dev);
  }
  return args;
}

/** Operations for one change. Peer-side settings of a new veth (mtu, mac) are set by `configure`. */
function opsFor(c: Change): Op[] {
  const subject = { node: c.node };
  switch (c.kind) {
    case 'namespace':
      if (c.action === 'add')
        return [
          c.owned
            ? {
                ns: '',
                subject,
                phase: 'namespace',
                tool: 'netns',
                kind: 'namespace',
                action: 'add',
                args: ['netns', 'add', c.ns],
                owned: true,
                reason: `node ${c.node} needs its namespace, owned by its own user namespace (for a sandboxed shell)`,
              }
            : op(
                '',
                subject,
                'namespace',
                'netns',
                'namespace',
                'add',
                ['netns', 'add', c.ns],
                `node ${c.node} needs its namespace`,
              ),
        ];
      return [
        op(
          '',
          subject,
          'unnamespace',
          'netns',
          'namespace',
          'remove',
          ['netns', 'del', c.ns],
          c.replace
            ? `node ${c.node} changed kind: its namespace is made again (what runs in it is ended first)`
            : `node ${c.node} is no longer in the lab`,
        ),
      ];
    case 'marker':
      return [
        op(
          c.ns,
          subject,
          'mark',
          'ip',
          'marker',
          'change',
          ['link', 'set', 'dev', 'lo', 'alias', c.desired.alias!],
          "mark the namespace as this lab's",
        ),
        op(c.ns, subject, 'mark', 'ip', 'marker', 'change', ['link', 'set', 'dev', 'lo', 'up'], 'loopback up'),
      ];
    case 'link':
      return linkOps(c);
    case 'route': {
      const routeSubject = { node: c.node, detail: (c.desired ?? c.observed)!.to };
      if (c.action === 'remove')
        return [
          op(
            c.ns,
            routeSubject,
            'unroute',
            'ip',
            'route',
            'remove',
            routeArgs('del', c.observed!),
            `route ${routeText(c.observed!)} is not in the lab`,
          ),
        ];
      // `replace` for additions too: it creates or overwrites, so a route the kernel kept after all
      // (see losingAddress in diff) is not an error.
      return [
        op(
          c.ns,
          routeSubject,
          'route',
          'ip',
          'route',
          c.action,
          routeArgs('replace', c.desired!),
          c.observed ? `route ${c.desired!.to} was ${routeText(c.observed)}` : `route ${routeText(c.desired!)}`,
        ),
      ];
    }
    case 'sysctl':
      return [
        op(
          c.ns,
          { node: c.node, detail: c.key },
          'sysctl',
          'sysctl',
          'sysctl',
          'change',
          [`${sysctlPath(c.key)}=${c.desired}`],
          `${c.key} is ${c.observed}, the lab wants ${c.desired}`,
        ),
      ];
    case 'fdb': {
      const e = c.entry;
      const fdbSubject = { node: c.node, iface: e.dev, detail: e.dst };
      return c.action === 'add'
        ? [
            op(
              c.ns,
              fdbSubject,
              'fdb',
              'bridge',
              'fdb',
              'add',
              ['fdb', 'append', '00:00:00:00:00:00', 'dev', e.dev, 'dst', e.dst],
              `flood to VTEP ${e.dst}`,
            ),
          ]
        : [
            op(
              c.ns,
              fdbSubject,
              'unfdb',
              'bridge',
              'fdb',
              'remove',
              ['fdb', 'del', '00:00:00:00:00:00', 'dev', e.dev, 'dst', e.dst],
              `VTEP ${e.dst} is no longer a member`,
            ),
          ];
    }
    case 'neigh':
      return [neighOp(c)];
    case 'ebtables':
      return [
        op(
          c.ns,
          subject,
          'iptables',
          'ebtables',
          'ebtables',
          'change',
          ['ebtables-restore'],
          'bridge port anti-spoofing rules (ebtables) differ from the lab',
          ebtablesRestoreText(c.desired),
        ),
      ];
    case 'iptables': {
      // Only the chains that differ are rewritten (iptables.ts): one rule changed, one chain touched.
      const change = iptablesChange(c.desired, c.observed);
      const cmd = c.family === 6 ? 'ip6tables' : 'iptables';
      return [
        op(
          c.ns,
          subject,
          'iptables',
          'iptables',
          'nat',
          'change',
          [`${cmd}-restore`, '--noflush'],
          `${cmd} chains differ from the lab: ${change.chains.join(', ')}`,
          change.input,
        ),
      ];
    }
  }
}

/**
 * One operation, its fields in the order they have always had (JSON output). Built as a plain
 * literal: an object spread into a literal with more fields (`{ ...base, phase, … }`) cost ~5 µs
 * per op on this Node (V8 clones through its runtime), most of `plan` for a new lab (0.69 ms for
 * the 107 ops of a 10-leaf star).
 */
function op(
  ns: string,
  subject: Op['subject'],
  phase: Phase,
  tool: Op['tool'],
  kind: Op['kind'],
  action: Op['action'],
  args: string[],
  reason: string,
  input?: string,
): Op {
  return input === undefined
    ? { ns, subject, phase, tool, kind, action, args, reason }
    : { ns, subject, phase, tool, kind, action, args, input, reason };
}

/**
 * A neighbour's stale ARP entry to forget. Its own small function: an apply that changes one address
 * of a 200-leaf star plans 199 of these, and inside `opsFor` (too large for V8 to optimize) each took
 * ~6 µs.
 */
function neighOp(c: Extract<Change, { kind: 'neigh' }>): Op {
  const owner = `${c.owner.node} ${c.owner.iface}`;
  return {
    ns: c.ns,
    subject: { node: c.node, iface: c.dev, detail: c.address },
    phase: 'neigh',
    tool: 'ip',
    kind: 'neigh',
    // a cache entry of the neighbour's interface, not a lab object: nothing of the lab is removed
    action: 'change',
    args: ['neigh', 'flush', 'to', c.address, 'dev', c.dev],
    reason:
      c.why === 'new-mac'
        ? `${owner} gets another MAC: forget the old one for ${c.address}`
        : `${c.address} is new on ${owner}: forget any old MAC for it (a node deleted and made again has a new one)`,
  };
}
function linkOps(c: Extract<Change, { kind: 'link' }>): Op[] {
  const subject = { node: c.node, iface: c.name };
  // Fields in the order they have always had (JSON output): ns, subject, tool, kind, then the rest.
  if (c.action === 'remove') {
    const why = c.fields.includes('replace')
      ? 'its namespace is made again; deleted first, so its far end is gone at once'
      : c.fields.includes('recreate')
        ? 'it cannot be changed in place, so it is re-created'
        : 'it is not in the lab';
    const peerNs = c.observed!.veth?.peerNs;
    const removal: Op = {
      ns: c.ns,
      subject,
      tool: 'ip',
      kind: 'link',
      phase: c.observed!.kind === 'macvlan' ? 'unmacvlan' : 'unlink',
      action: 'remove',
      args: ['link', 'del', 'dev', c.name],
      reason: `${c.observed!.kind} ${c.name}: ${why}`,
    };
    if (peerNs && peerNs !== c.ns && !peerNs.startsWith('(')) removal.alsoTouches = [peerNs];
    return [removal];
  }
  if (c.action === 'add') {
    const d = c.desired!;
    // A macvlan is made in the parent's namespace (where `link PARENT` resolves) and placed in its own at once.
    const ns = d.macvlan ? d.macvlan.parentNs! : c.ns;
    const phase = d.macvlan ? 'macvlan' : d.kind === 'vxlan' ? 'tunnel' : 'link';
    const args = d.macvlan ? macvlanCreateArgs(c.ns, d) : linkCreateArgs(d, c.index, c.peerIndex);
    const reason = d.macvlan
      ? `macvlan ${c.name} (mode ${d.macvlan.mode}) on ${d.macvlan.parent}`
      : d.veth
        ? `veth pair ${c.name} ↔ ${d.veth.peerName}`
        : `${d.kind} ${c.name}`;
    // The other namespace the op changes: a macvlan's own (made in its parent's), a veth's far end.
    const elsewhere = d.macvlan
      ? ns !== c.ns
        ? c.ns
        : undefined
      : d.veth && d.veth.peerNs !== c.ns
        ? d.veth.peerNs
        : undefined;
    return [
      elsewhere === undefined
        ? { ns, subject, tool: 'ip', kind: 'link', phase, action: 'add', args, reason }
        : { ns, subject, tool: 'ip', kind: 'link', phase, action: 'add', args, alsoTouches: [elsewhere], reason },
    ];
  }
  const d = c.desired!;
  const o = c.observed!;
  const ops: Op[] = [];
  const set = (args: string[], reason: string) =>
    ops.push({
      ns: c.ns,
      subject,
      tool: 'ip',
      kind: 'link',
      phase: 'configure',
      action: 'change',
      args: ['link', 'set', 'dev', c.name, ...args],
      reason,
    });
  const address = (phase: 'unaddress' | 'configure', a: string, reason: string) =>
    ops.push({
      ns: c.ns,
      subject: { node: c.node, iface: c.name, detail: a },
      tool: 'ip',
      kind: 'address',
      phase,
      action: phase === 'unaddress' ? 'remove' : 'add',
      // IPv6: nodad, or the address stays tentative (unusable) through duplicate address detection.
      args:
        phase === 'configure' && a.includes(':')
          ? ['addr', 'add', a, 'dev', c.name, 'nodad']
          : ['addr', phase === 'unaddress' ? 'del' : 'add', a, 'dev', c.name],
      reason,
    });
  const f = new Set(c.fields);
  if (f.has('addrgenmode')) set(['addrgenmode', 'none'], 'no IPv6 autoconfiguration on lab links');
  if (f.has('mtu')) set(['mtu', String(d.mtu)], `mtu ${o.mtu ?? '?'} → ${d.mtu}`);
  if (f.has('mac')) set(['address', d.mac!], `mac ${o.mac ?? '?'} → ${d.mac}`);
  if (f.has('stp'))
    set(['type', 'bridge', 'stp_state', d.bridge!.stp ? '1' : '0'], `stp ${d.bridge!.stp ? 'on' : 'off'}`);
  if (f.has('vlanFiltering'))
    set(['type', 'bridge', 'vlan_filtering', d.bridge!.vlanFiltering ? '1' : '0'], 'vlan filtering');
  if (f.has('fdbMaxLearned')) {
    const cap = d.bridge!.fdbMaxLearned!;
    const was = o.bridge?.fdbMaxLearned;
    ops.push({
      ns: c.ns,
      subject,
      tool: 'netlink',
      kind: 'link',
      phase: 'configure',
      action: 'change',
      args: ['link', 'set', 'dev', c.name, 'type', 'bridge', 'fdb_max_learned', String(cap)],
      reason: `learns at most ${cap} FDB entries (${was ? `was ${was}` : 'was uncapped'}): a MAC flood cannot grow its table without end`,
    });
  }
  if (f.has('master')) {
    if (d.master) set(['master', d.master], `port of bridge ${d.master}`);
    else set(['nomaster'], `no longer a port of ${o.master}`);
  }
  if (f.has('port')) {
    const args = portFlagArgs(d.port!, o.port);
    set(args, `bridge port flags: ${args.slice(2).join(' ')}`);
  }
  if (f.has('addresses')) {
    for (const a of o.addresses)
      if (!d.addresses.includes(a)) address('unaddress', a, `address ${a} is not in the lab`);
    for (const a of d.addresses) if (!o.addresses.includes(a)) address('configure', a, `address ${a}`);
  }
  if (f.has('up')) set([d.up ? 'up' : 'down'], d.up ? 'bring it up' : 'the lab sets it down');
  return ops;
}

/** Ops sorted by phase, then namespace; stable within a namespace. */
export function plan(d: Diff): Plan {
  const ops = d.changes.flatMap(opsFor);
  const phaseIndex = new Map<Phase, number>(PHASES.map((p, i) => [p, i]));
  const indexed = ops.map((o, i) => ({ o, i }));
  indexed.sort(
    (a, b) => phaseIndex.get(a.o.phase)! - phaseIndex.get(b.o.phase)! || a.o.ns.localeCompare(b.o.ns) || a.i - b.i,
  );
  return { lab: d.lab, ops: indexed.map((x) => x.o) };
}
