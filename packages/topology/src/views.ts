// What `patchbay state --json`, `GET /api/labs/:name/state` and the live tables show of a running
// lab, in lab terms (kernel names mapped back to the lab's nodes and interfaces). The engine builds
// these views from the kernel; the server sends them (its responses are serialized by these
// schemas); the web app reads them. They live here, in the pure core, as TypeBox schemas so that all
// three share one definition and the protocol's contract can name them.
import { Type, type Static } from '@sinclair/typebox';
import { CniViewSchema } from './views-cni.js';
export * from './views-cni.js';

const LinkKindSchema = Type.Union([
  Type.Literal('loopback'),
  Type.Literal('veth'),
  Type.Literal('bridge'),
  Type.Literal('vxlan'),
  Type.Literal('macvlan'),
  Type.Literal('other'),
]);

export const InterfaceViewSchema = Type.Object(
  {
    name: Type.String(),
    kind: LinkKindSchema,
    up: Type.Boolean(),
    mtu: Type.Optional(Type.Integer()),
    mac: Type.Optional(Type.String()),
    master: Type.Optional(Type.String({ description: 'The bridge this interface is a port of.' })),
    addresses: Type.Array(Type.String(), { description: 'IPv4 addresses in CIDR form.' }),
    peer: Type.Optional(
      Type.Object(
        { node: Type.String(), interface: Type.String() },
        { description: 'The other end of a veth, in lab names.' },
      ),
    ),
    vxlan: Type.Optional(
      Type.Object({
        vni: Type.Integer(),
        port: Type.Integer(),
        local: Type.String(),
        remotes: Type.Array(Type.String()),
      }),
    ),
    macvlan: Type.Optional(
      Type.Object(
        { mode: Type.String(), parent: Type.Optional(Type.String()) },
        { description: "A macvlan's mode and, in lab terms, its parent (node/interface)." },
      ),
    ),
    port: Type.Optional(
      Type.Object(
        { hairpin: Type.Boolean(), learning: Type.Boolean(), flood: Type.Boolean(), isolated: Type.Boolean() },
        { description: "A bridge port's flags, as the kernel has them." },
      ),
    ),
  },
  { title: 'InterfaceView' },
);
export type InterfaceView = Static<typeof InterfaceViewSchema>;

/** A neighbour entry as `ip -j neigh` gives it. */
export const NeighbourViewSchema = Type.Object(
  { dst: Type.String(), dev: Type.String(), lladdr: Type.Optional(Type.String()), state: Type.Array(Type.String()) },
  { title: 'NeighbourView' },
);
export type NeighbourView = Static<typeof NeighbourViewSchema>;

/**
 * A route of any table, as the kernel holds it (`ip -j route show table all`): connected (`proto
 * kernel`), local and broadcast routes included. `table`, `type`, `protocol` and `scope` are always
 * set by the engine (iproute2 leaves out main, unicast, boot and global); optional in the schema
 * because readers of the older shape (to, via, dev) have only those.
 */
export const RouteViewSchema = Type.Object(
  {
    to: Type.String({ description: '"default" or a CIDR (a host route is /32).' }),
    via: Type.Optional(Type.String()),
    dev: Type.Optional(Type.String()),
    table: Type.Optional(Type.String({ description: '"main", "local", "default" or a table number.' })),
    type: Type.Optional(
      Type.String({
        description: 'unicast, local, broadcast, blackhole, unreachable, prohibit, throw, multicast, anycast, nat.',
      }),
    ),
    protocol: Type.Optional(
      Type.String({ description: 'Who made it: kernel (connected and local routes), boot (ip route add), static…' }),
    ),
    scope: Type.Optional(Type.String({ description: 'global, link or host.' })),
    src: Type.Optional(Type.String({ description: 'The preferred source address (prefsrc).' })),
    metric: Type.Optional(Type.Integer()),
    flags: Type.Optional(Type.Array(Type.String(), { description: 'e.g. linkdown, onlink; missing when none.' })),
  },
  { title: 'RouteView' },
);
export type RouteView = Static<typeof RouteViewSchema>;

/** A policy routing rule (`ip -j rule show`), in priority order. */
export const RuleViewSchema = Type.Object(
  {
    priority: Type.Integer(),
    from: Type.String({ description: '"all" or a CIDR.' }),
    to: Type.Optional(Type.String({ description: 'A CIDR; missing: any destination.' })),
    iif: Type.Optional(Type.String()),
    oif: Type.Optional(Type.String()),
    fwmark: Type.Optional(Type.String({ description: 'Mark, or mark/mask, as ip prints it (hex).' })),
    not: Type.Optional(Type.Boolean({ description: 'The selector is inverted.' })),
    action: Type.String({
      description:
        '"lookup" (then `table` says which), or blackhole, unreachable, prohibit, goto, nop as the kernel reports it.',
    }),
    table: Type.Optional(Type.String()),
  },
  { title: 'RuleView' },
);
export type RuleView = Static<typeof RuleViewSchema>;

/** A `run:` process of a node (run.ts), as the lab state shows it. */
export const ProcessViewSchema = Type.Object(
  {
    name: Type.String(),
    command: Type.String(),
    state: Type.Union([Type.Literal('running'), Type.Literal('exited'), Type.Literal('stopped')], {
      description:
        'running; exited (it ended by itself: the next apply starts it again); stopped (not started yet: apply the lab).',
    }),
    pid: Type.Optional(Type.Integer({ description: 'Its supervisor’s pid on the machine.' })),
    started: Type.Optional(Type.String({ description: 'When it was started (ISO 8601).' })),
    code: Type.Optional(Type.Integer({ description: 'Exit status once exited (128+n for a signal), when known.' })),
    output: Type.String({ description: 'The end of its stdout and stderr (at most 4 KiB; its log keeps 64 KiB).' }),
  },
  { title: 'ProcessView' },
);
export type ProcessView = Static<typeof ProcessViewSchema>;

export const NodeViewSchema = Type.Object(
  {
    node: Type.String(),
    kind: Type.Union([
      Type.Literal('host'),
      Type.Literal('netns'),
      Type.Literal('router'),
      Type.Literal('implicit-host'),
    ]),
    namespace: Type.String({ description: 'The kernel name of the node’s namespace.' }),
    present: Type.Boolean({ description: 'false: the namespace does not exist (the rest is empty).' }),
    forwarding: Type.Optional(Type.Boolean()),
    interfaces: Type.Array(InterfaceViewSchema),
    routes: Type.Array(RouteViewSchema, {
      description: 'Every route of every table (main, then other tables, local last), kernel-made ones included.',
    }),
    rules: Type.Optional(
      Type.Array(RuleViewSchema, { description: 'The policy routing rules (`ip rule`), in priority order.' }),
    ),
    neighbours: Type.Array(NeighbourViewSchema),
    nat: Type.Optional(
      Type.Object(
        {
          nat: Type.Array(Type.String()),
          filter: Type.Array(Type.String()),
          mangle: Type.Optional(Type.Array(Type.String())),
        },
        { description: 'The iptables rules of the node’s nat and filter (and mangle, when it has rules) tables.' },
      ),
    ),
    nat6: Type.Optional(
      Type.Object(
        {
          nat: Type.Array(Type.String()),
          filter: Type.Array(Type.String()),
          mangle: Type.Optional(Type.Array(Type.String())),
        },
        {
          description:
            'The ip6tables rules of the same tables; read where the lab has IPv6 addresses or IPv6 rules (absent elsewhere).',
        },
      ),
    ),
    processes: Type.Optional(
      Type.Array(ProcessViewSchema, { description: 'Its `run:` processes (absent: it runs none).' }),
    ),
    resolvConf: Type.Optional(
      Type.String({
        description:
          'Its resolver file as it is now (/etc/netns/NS/resolv.conf, from the lab’s `dns:`, or as edited inside the node); absent: it has none.',
      }),
    ),
    cni: Type.Optional(Type.Array(CniViewSchema, { description: 'Its CNI attachments (absent: it has none).' })),
  },
  { title: 'NodeView' },
);
export type NodeView = Static<typeof NodeViewSchema>;

/** A bridge FDB entry; `port` is the lab's interface name (or the VXLAN device). */
export const FdbEntryViewSchema = Type.Object(
  {
    mac: Type.String(),
    port: Type.String(),
    dst: Type.Optional(Type.String()),
    vlan: Type.Optional(Type.Integer()),
    flags: Type.Array(Type.String()),
    state: Type.Optional(Type.String()),
  },
  { title: 'FdbEntryView' },
);
export type FdbEntryView = Static<typeof FdbEntryViewSchema>;

/** A port's VLANs as `bridge -j vlan` gives them. */
export const VlanViewSchema = Type.Object(
  {
    dev: Type.String(),
    vlans: Type.Array(
      Type.Object({ vlan: Type.Integer(), vlanEnd: Type.Optional(Type.Integer()), flags: Type.Array(Type.String()) }),
    ),
  },
  { title: 'VlanView' },
);
export type VlanView = Static<typeof VlanViewSchema>;

export const BridgeViewSchema = Type.Object(
  {
    bridge: Type.String(),
    host: Type.String(),
    namespace: Type.String(),
    device: Type.String({ description: 'The kernel name of the bridge device.' }),
    present: Type.Boolean(),
    up: Type.Boolean(),
    stp: Type.Boolean(),
    vlanFiltering: Type.Boolean(),
    fdbMaxLearned: Type.Optional(
      Type.Integer({
        description: 'Most FDB entries the bridge learns (0: no cap); missing when the kernel does not report it.',
      }),
    ),
    fdbLearned: Type.Optional(
      Type.Integer({ description: 'FDB entries the bridge has learned now (counted by the kernel).' }),
    ),
    addresses: Type.Array(Type.String()),
    ports: Type.Array(Type.String()),
    fdb: Type.Array(FdbEntryViewSchema, { description: 'Learned and static entries.' }),
    vlans: Type.Array(VlanViewSchema),
    ebtables: Type.Optional(
      Type.Object(
        { filter: Type.Array(Type.String()) },
        {
          description:
            'The part of the bridge host’s ebtables filter table that concerns this bridge, as ebtables-save prints it: chain policies, the rules naming its ports or no port, and the user chains they jump to. Absent: the host’s table is empty (every chain ACCEPT, no rule).',
        },
      ),
    ),
  },
  { title: 'BridgeView' },
);
export type BridgeView = Static<typeof BridgeViewSchema>;

export const LabStateViewSchema = Type.Object(
  {
    lab: Type.String(),
    revision: Type.Integer(),
    nodes: Type.Array(NodeViewSchema),
    bridges: Type.Array(BridgeViewSchema),
  },
  { title: 'LabState' },
);
export type LabStateView = Static<typeof LabStateViewSchema>;
