// The structural schema of a lab file (LAB-FORMAT.md, version 1), written once with TypeBox: it is
// both the runtime structural check (`parseLabText`) and, as plain JSON Schema, the published
// `lab.schema.json` that editors use for autocompletion. `description`s become the editor's docs.
// Value constraints that need a good explanation (name rules, CIDR, ranges) are also present here
// as hints for editors, but `validateLab` is what reports them to the user with a stable code.

import { Type, type Static } from '@sinclair/typebox';
import { MAX_FDB_MAX_LEARNED, type Lab } from './model.js';
import { IFNAME_RE, NAME_RE } from './naming.js';
import { BridgePortSchema, MacvlanSchema } from './schema-macvlan.js';
import { ServiceSchema } from './schema-service.js';

export const LAB_SCHEMA_ID = 'https://patchbay.dev/schema/lab-v1.json';

// Loose shapes for editors only (IPv4 or IPv6); exact checks (octets 0-255, prefix ≤ 32 or 128) live in validateLab.
export const CIDR_PATTERN = '^([0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*/[0-9]{1,3})$';
export const IPV4_PATTERN = '^[0-9]{1,3}(\\.[0-9]{1,3}){3}$';
/** A gateway: IPv4, or IPv6 (loosely: hex digits and colons). */
export const IP_PATTERN = '^([0-9]{1,3}(\\.[0-9]{1,3}){3}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$';

const Cidr = (description: string) => Type.String({ pattern: CIDR_PATTERN, description });
const IfName = (description: string) => Type.String({ pattern: IFNAME_RE.source, description });
const Mtu = (description: string) => Type.Integer({ minimum: 68, maximum: 65535, description });
const Addresses = (description: string) =>
  Type.Array(Cidr('IPv4 or IPv6 address with prefix length, e.g. 192.168.100.10/24 or 2001:db8:1::10/64'), {
    description,
  });

export const ViaRouteSchema = Type.Object(
  {
    to: Type.String({
      description:
        'Destination network in CIDR form (host bits zero, e.g. 10.0.1.0/24 or 2001:db8:2::/64) or "default" (of the gateway\'s family).',
    }),
    via: Type.String({
      pattern: IP_PATTERN,
      description:
        'Gateway address (IPv4 or IPv6); must be on a subnet this node is connected to. An IPv6 link-local gateway (fe80::…) needs dev.',
    }),
    dev: Type.Optional(
      IfName('IPv6 only: the interface the gateway is on; required for a link-local (fe80::) gateway.'),
    ),
  },
  { additionalProperties: false, description: 'A route through a gateway.' },
);

export const DevRouteSchema = Type.Object(
  {
    to: Type.String({
      description: 'Destination network in CIDR form (host bits zero) or "default" (IPv4; IPv6\'s default is ::/0).',
    }),
    dev: IfName('Interface of this node the destination is directly reachable on (on-link route, as Calico uses).'),
  },
  { additionalProperties: false, description: 'An on-link route out of an interface, without a gateway.' },
);

export const RouteSchema = Type.Union([ViaRouteSchema, DevRouteSchema], {
  description: 'A route: { to, via } through a gateway (IPv6: { to, via, dev } too), or { to, dev } on-link.',
});

export const NatSchema = Type.Object(
  {
    masquerade: Cidr('Source subnet to masquerade (source NAT), e.g. 172.17.0.0/16.'),
    out: Type.Optional(IfName('Masquerade only traffic leaving by this interface.')),
    notOut: Type.Optional(
      IfName("Masquerade traffic leaving by any interface except this one (Docker's `! -o docker0`)."),
    ),
  },
  { additionalProperties: false, description: 'Source NAT for a subnet; give exactly one of out or notOut.' },
);

export const PortForwardSchema = Type.Object(
  {
    proto: Type.Union([Type.Literal('tcp'), Type.Literal('udp')], { description: 'tcp or udp.' }),
    port: Type.Integer({ minimum: 1, maximum: 65535, description: 'Port on this node to forward.' }),
    to: Type.String({ description: 'Destination as IPv4:PORT, e.g. 172.17.0.2:80.' }),
  },
  { additionalProperties: false, description: 'Destination NAT, as `docker run -p`.' },
);

export const RunObjectSchema = Type.Object(
  {
    name: Type.Optional(
      Type.String({
        pattern: NAME_RE.source,
        description: 'A label for the panel and the plan, [a-z][a-z0-9-]{0,23}, unique in the node; default run-N.',
      }),
    ),
    command: Type.String({
      description: 'The command line, run by `sh -c` inside the node’s sandbox: one line, 1 to 1000 characters.',
    }),
  },
  { additionalProperties: false, description: 'A long-running command with a name.' },
);

export const RunSchema = Type.Union(
  [
    Type.String({
      description: 'A command line, run by `sh -c` inside the node’s sandbox: one line, 1 to 1000 characters.',
    }),
    RunObjectSchema,
  ],
  { description: 'A long-running command: a string, or { name, command }.' },
);

export const NetNodeSchema = Type.Object(
  {
    kind: Type.Union([Type.Literal('host'), Type.Literal('netns'), Type.Literal('router')], {
      description:
        'host: a simulated machine (forwarding on; bridges and VXLAN endpoints live in it). netns: a container or pod. router: a namespace with forwarding on.',
    }),
    routes: Type.Optional(Type.Array(RouteSchema, { description: 'Static routes of this node.' })),
    forwarding: Type.Optional(
      Type.Boolean({ description: "IPv4 forwarding; overrides the kind's default (on for host and router)." }),
    ),
    nat: Type.Optional(Type.Array(NatSchema, { description: 'Source NAT (masquerade) rules.' })),
    portForwards: Type.Optional(Type.Array(PortForwardSchema, { description: 'Port forwards (destination NAT).' })),
    forwardPolicy: Type.Optional(
      Type.Union([Type.Literal('accept'), Type.Literal('drop')], {
        description: 'Policy of the FORWARD chain; default accept.',
      }),
    ),
    run: Type.Optional(
      Type.Array(RunSchema, {
        description:
          'Long-running commands (a web server, an echo service), started in the node’s sandbox (an unprivileged user, the lab’s cgroup) after the node is wired, restarted when their line changes, stopped before the node goes. At most 8 per node, 64 per lab.',
      }),
    ),
  },
  { additionalProperties: false, description: 'A network namespace: host, netns or router.' },
);

export const BridgeSchema = Type.Object(
  {
    kind: Type.Literal('bridge', { description: 'A Linux bridge inside the namespace of its host.' }),
    host: Type.Optional(
      Type.String({
        description:
          'The host node this bridge lives in. Required when the lab has host nodes; otherwise bridges share one implicit host.',
      }),
    ),
    addresses: Type.Optional(
      Addresses("Addresses of the bridge device itself (e.g. a gateway such as Docker's 172.17.0.1/16)."),
    ),
    mtu: Type.Optional(Mtu('MTU of the bridge device, 68 to 65535.')),
    up: Type.Optional(Type.Boolean({ description: 'Whether the bridge is up; default true.' })),
    vlanFiltering: Type.Optional(
      Type.Boolean({ description: 'Enable VLAN filtering, so ports may carry vlan: { pvid, tagged }.' }),
    ),
    stp: Type.Optional(Type.Boolean({ description: 'Spanning tree protocol; default false.' })),
    fdbMaxLearned: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_FDB_MAX_LEARNED,
        description:
          "Most FDB entries the bridge learns (the kernel's fdb_max_learned, Linux 6.8+); beyond it, frames to new MACs are flooded. Default: 1024, or twice the bridge's ports when that is more.",
      }),
    ),
  },
  { additionalProperties: false, description: 'A Linux bridge.' },
);

export const NodeSchema = Type.Union([NetNodeSchema, BridgeSchema], {
  description: 'A node; its kind decides which fields it takes.',
});

export const VlanSchema = Type.Object(
  {
    pvid: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 4094, description: 'Untagged VLAN of this bridge port (1-4094).' }),
    ),
    tagged: Type.Optional(
      Type.Array(Type.Integer({ minimum: 1, maximum: 4094 }), {
        description: 'VLANs carried tagged on this bridge port (1-4094).',
      }),
    ),
  },
  { additionalProperties: false, description: 'VLANs of a bridge port; the bridge must have vlanFiltering: true.' },
);

export const LinkEndSchema = Type.Object(
  {
    node: Type.String({
      description: 'Node this end belongs to. An end on a bridge lives in the bridge host and is a bridge port.',
    }),
    interface: IfName('Interface name, 1 to 15 characters [A-Za-z0-9_.-], unique within the namespace it lands in.'),
    addresses: Type.Optional(Addresses('IPv4 addresses of this interface, CIDR form.')),
    mtu: Type.Optional(Mtu('MTU of this end, 68 to 65535; overrides the link-level mtu.')),
    up: Type.Optional(Type.Boolean({ description: 'Whether the interface is up; default true.' })),
    mac: Type.Optional(Type.String({ description: 'Unicast MAC address, e.g. 02:42:ac:11:00:02.' })),
    proxyArp: Type.Optional(Type.Boolean({ description: 'Answer ARP for addresses this node routes (proxy_arp).' })),
    vlan: Type.Optional(VlanSchema),
    bridgePort: Type.Optional(BridgePortSchema),
  },
  { additionalProperties: false, description: 'One end of a veth pair.' },
);

export const LinkSchema = Type.Object(
  {
    a: LinkEndSchema,
    b: LinkEndSchema,
    mtu: Type.Optional(Mtu('MTU of both ends, 68 to 65535 (an end-level mtu wins).')),
  },
  { additionalProperties: false, description: 'A veth pair joining two nodes.' },
);

export const BridgeMemberSchema = Type.Object(
  {
    bridge: Type.String({
      description: "Bridge node the VTEP is attached to (layer 2 overlay); the VTEP lives in the bridge's host.",
    }),
    local: Type.Optional(
      Type.String({
        pattern: IPV4_PATTERN,
        description: "Underlay address of the bridge's host; may be left out if the host has exactly one.",
      }),
    ),
  },
  { additionalProperties: false, description: 'A layer 2 VTEP attached to a bridge.' },
);

export const HostMemberSchema = Type.Object(
  {
    host: Type.String({ description: 'Host node the VTEP lives in (layer 3 overlay, as flannel.1).' }),
    local: Type.Optional(
      Type.String({
        pattern: IPV4_PATTERN,
        description: 'Underlay address of the host; may be left out if the host has exactly one.',
      }),
    ),
    addresses: Type.Optional(Addresses('Addresses of the VTEP device itself, CIDR form.')),
  },
  { additionalProperties: false, description: 'A layer 3 VTEP with its own address.' },
);

export const OverlayMemberSchema = Type.Union([BridgeMemberSchema, HostMemberSchema], {
  description: 'An overlay member: { bridge, local } or { host, local, addresses }.',
});

export const OverlaySchema = Type.Object(
  {
    name: Type.String({
      pattern: NAME_RE.source,
      description: 'Overlay name, [a-z][a-z0-9-]{0,23}; also names its VXLAN devices.',
    }),
    vni: Type.Integer({
      minimum: 1,
      maximum: 16777215,
      description: 'VXLAN network identifier, 1 to 16777215, unique in the lab.',
    }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'UDP port; default 4789.' })),
    mtu: Type.Optional(Mtu('MTU of the VXLAN devices; default underlay MTU − 50.')),
    members: Type.Array(OverlayMemberSchema, {
      minItems: 2,
      description: 'At least two members, each on a different host.',
    }),
  },
  { additionalProperties: false, description: 'A VXLAN overlay with head-end replication between its members.' },
);

export const LabSchema = Type.Object(
  {
    name: Type.String({ pattern: NAME_RE.source, description: 'Lab name, [a-z][a-z0-9-]{0,23}.' }),
    description: Type.Optional(Type.String({ description: 'Free text.' })),
    nodes: Type.Record(Type.String(), NodeSchema, {
      description: 'Nodes by name; names are [a-z][a-z0-9-]{0,23}.',
      // For editors; TypeBox ignores it, and validateLab explains a bad name better than "unknown field".
      propertyNames: { pattern: NAME_RE.source },
    }),
    links: Type.Array(LinkSchema, { description: 'veth pairs.' }),
    overlays: Type.Optional(Type.Array(OverlaySchema, { description: 'VXLAN overlays.' })),
    macvlans: Type.Optional(Type.Array(MacvlanSchema, { description: "macvlan interfaces on hosts' interfaces." })),
    services: Type.Optional(
      Type.Array(ServiceSchema, { description: "Kubernetes Services, as kube-proxy's iptables mode realizes them." }),
    ),
  },
  { additionalProperties: false, title: 'Patchbay lab', description: 'A Patchbay lab file, version 1.' },
);

export type LabStatic = Static<typeof LabSchema>;

// Compile-time guard: the schema and model.ts must describe the same shape, in both directions.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesModel: Same<LabStatic, Lab> = true;
void schemaMatchesModel;

/** The plain JSON Schema (draft-07) of a lab file, as published in lab.schema.json. */
export function labJsonSchema(): Record<string, unknown> {
  // A JSON round trip drops TypeBox's symbol-keyed metadata, leaving standard JSON Schema only.
  const plain = JSON.parse(JSON.stringify(LabSchema)) as Record<string, unknown>;
  return { $schema: 'http://json-schema.org/draft-07/schema#', $id: LAB_SCHEMA_ID, ...plain, title: 'Patchbay lab' };
}
