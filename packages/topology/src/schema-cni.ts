// JSON Schema (TypeBox) of a node's CNI attachments (LAB-FORMAT.md "cni"); schema.ts places it on nodes.
import { Type } from '@sinclair/typebox';
import { IFNAME_RE, NAME_RE } from './naming.js';

// schema.ts's patterns (not imported: schema.ts imports this file).
const CIDR_PATTERN = '^[0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}$';
const IPV4_PATTERN = '^[0-9]{1,3}(\\.[0-9]{1,3}){3}$';

export const CniSchema = Type.Object(
  {
    host: Type.String({
      description:
        "The host node whose namespace the plugin runs in (the bridge plugin's bridge and veth ends live there).",
    }),
    interface: Type.String({
      pattern: IFNAME_RE.source,
      description: 'CNI_IFNAME: the interface the plugin makes in this node, 1 to 15 characters.',
    }),
    plugin: Type.Union([Type.Literal('bridge'), Type.Literal('ptp'), Type.Literal('macvlan')], {
      description: 'The reference plugin (/usr/lib/cni): bridge, ptp or macvlan; IPAM is host-local.',
    }),
    network: Type.String({
      pattern: NAME_RE.source,
      description: "The network's name (the config's name); host-local keeps one address pool per network.",
    }),
    subnet: Type.String({ pattern: CIDR_PATTERN, description: 'host-local IPAM: the pool addresses come from.' }),
    gateway: Type.Optional(
      Type.String({
        pattern: IPV4_PATTERN,
        description: "host-local IPAM: the gateway; default the subnet's first address.",
      }),
    ),
    rangeStart: Type.Optional(
      Type.String({ pattern: IPV4_PATTERN, description: 'host-local IPAM: first address handed out.' }),
    ),
    rangeEnd: Type.Optional(
      Type.String({ pattern: IPV4_PATTERN, description: 'host-local IPAM: last address handed out.' }),
    ),
    routes: Type.Optional(
      Type.Array(Type.String({ pattern: CIDR_PATTERN }), {
        description: 'Routes the plugin adds in this node through the gateway, e.g. 0.0.0.0/0.',
      }),
    ),
    bridge: Type.Optional(
      Type.String({ pattern: IFNAME_RE.source, description: 'bridge plugin: the bridge in the host; default cni0.' }),
    ),
    isGateway: Type.Optional(
      Type.Boolean({ description: 'bridge plugin: give the bridge the gateway address; default true.' }),
    ),
    hairpinMode: Type.Optional(
      Type.Boolean({ description: 'bridge plugin: hairpin mode on the port; default false.' }),
    ),
    master: Type.Optional(
      Type.String({
        pattern: IFNAME_RE.source,
        description: "macvlan plugin: the host's interface the macvlan stacks on (a link end on the host).",
      }),
    ),
    mode: Type.Optional(
      Type.Union([Type.Literal('bridge'), Type.Literal('private'), Type.Literal('vepa'), Type.Literal('passthru')], {
        description: 'macvlan plugin: the mode; default bridge.',
      }),
    ),
    mtu: Type.Optional(
      Type.Integer({ minimum: 68, maximum: 65535, description: 'MTU of the interfaces the plugin makes.' }),
    ),
  },
  {
    additionalProperties: false,
    description:
      'An interface a reference CNI plugin attaches to this node (ADD on apply, DEL on removal, CHECK on verify).',
  },
);
